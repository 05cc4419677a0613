//! Addresses: identity, hashing, printing, serialization (feature `remote`), on both bases.

mod common;

use std::collections::HashSet;

use thespian::prelude::*;

struct Named;

#[actor]
impl Named {
    async fn whoami(&self, ctx: &Context<Self>) -> Addr<Named> {
        ctx.myself().clone()
    }
}

struct Other;

#[actor]
impl Other {
    async fn nothing(&self) {}
}

#[cfg(feature = "remote")]
#[derive(serde::Serialize, serde::Deserialize)]
struct Carrier {
    typed: Addr<Named>,
    untyped: ActorAddress,
}

// Clippy sees the mailbox's lock behind an `Addr`; hashing only uses the actor id, which never
// changes.
#[allow(clippy::mutable_key_type)]
#[tokio::test]
async fn addresses_compare_hash_and_print_by_identity() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let a = system.create_actor(Named).await.unwrap();
        let b = system.create_actor(Named).await.unwrap();
        assert_eq!(a.whoami().ask().await.unwrap(), a);
        assert_ne!(a, b);
        let set: HashSet<Addr<Named>> = [a.clone(), a.clone(), b.clone()].into_iter().collect();
        assert_eq!(set.len(), 2);
        assert_eq!(a.address(), a);
        assert_eq!(a.to_string(), format!("Named#{}", a.id()));
        assert_eq!(
            format!("{:?}", a.address()),
            format!("ActorAddress(Named#{})", a.id())
        );
        system.shutdown().await;
    }
}

#[cfg(feature = "remote")]
#[tokio::test]
async fn addresses_travel_inside_serialized_messages() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let a = system.create_actor(Named).await.unwrap();
        let bytes = postcard::to_allocvec(&Carrier {
            typed: a.clone(),
            untyped: a.address(),
        })
        .unwrap();
        let back: Carrier = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back.typed, a);
        assert_eq!(back.untyped, a.address());
        // The address still works after the round trip.
        assert_eq!(back.typed.whoami().ask().await.unwrap(), a);
        system.shutdown().await;
    }
}

#[cfg(feature = "remote")]
#[tokio::test]
async fn an_address_of_another_type_does_not_deserialize_as_this_one() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let other = system.create_actor(Other).await.unwrap();
        let bytes = postcard::to_allocvec(&other).unwrap();
        assert!(postcard::from_bytes::<Addr<Named>>(&bytes).is_err());
        assert!(postcard::from_bytes::<ActorAddress>(&bytes).is_ok());
        system.shutdown().await;
    }
}

#[cfg(feature = "remote")]
#[tokio::test]
async fn an_address_claiming_another_system_does_not_resolve_here() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let a = system.create_actor(Named).await.unwrap();
        // Export it, then forge the same actor id under another system id.
        let _ = postcard::to_allocvec(&a).unwrap();
        let forged = postcard::to_allocvec(&(u64::MAX, a.id().as_u64())).unwrap();
        assert!(postcard::from_bytes::<ActorAddress>(&forged).is_err());
        system.shutdown().await;
    }
}
