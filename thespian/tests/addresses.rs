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

/// The wire form of an address of a system without a transport (its node is `None`, which
/// postcard writes the same whatever the option's type).
#[cfg(feature = "remote")]
#[derive(serde::Serialize, serde::Deserialize)]
struct WireForm {
    node: Option<u8>,
    system: u64,
    actor: u64,
    type_name: String,
}

#[cfg(feature = "remote")]
#[tokio::test]
async fn a_wire_id_resolves_only_in_the_system_that_gave_it() {
    let first = ActorSystem::new();
    let second = ActorSystem::new();
    let a = first.create_actor(Named).await.unwrap();
    let b = second.create_actor(Named).await.unwrap();
    let a_bytes = postcard::to_allocvec(&a).unwrap();
    let b_wire: WireForm = postcard::from_bytes(&postcard::to_allocvec(&b).unwrap()).unwrap();
    let mut forged: WireForm = postcard::from_bytes(&a_bytes).unwrap();
    assert_ne!(forged.system, b_wire.system);
    // `a`'s wire id, claimed for the other system: that system's table does not hold it.
    forged.system = b_wire.system;
    let forged = postcard::to_allocvec(&forged).unwrap();
    assert!(postcard::from_bytes::<ActorAddress>(&forged).is_err());
    assert_eq!(postcard::from_bytes::<Addr<Named>>(&a_bytes).unwrap(), a);
    first.shutdown().await;
    second.shutdown().await;
}

#[cfg(feature = "remote")]
#[tokio::test]
async fn an_address_of_a_system_that_is_gone_resolves_nowhere() {
    let system = ActorSystem::new();
    let a = system.create_actor(Named).await.unwrap();
    let bytes = postcard::to_allocvec(&a).unwrap();
    assert!(postcard::from_bytes::<ActorAddress>(&bytes).is_ok());
    system.shutdown().await;
    drop((a, system));
    // The actors' tasks drop their last references to the system as they end.
    let mut resolves = true;
    for _ in 0..200 {
        resolves = postcard::from_bytes::<ActorAddress>(&bytes).is_ok();
        if !resolves {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(!resolves, "the address outlived its system");
}
