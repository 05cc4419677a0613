//! Global names: create-or-get, one actor under concurrent creates, the name freed on exit, a name
//! held by another actor type, and lookup with `ActorSystem::named`; on both bases.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use thespian::prelude::*;
use thespian::{ActorOptions, CreateError};

/// Knows which instance it is; counts how many instances ever started.
struct Registry {
    instance: usize,
    started: Arc<AtomicUsize>,
}

impl Registry {
    fn new(instance: usize, started: &Arc<AtomicUsize>) -> Self {
        Registry {
            instance,
            started: started.clone(),
        }
    }
}

#[actor]
impl Registry {
    async fn instance(&self) -> usize {
        self.instance
    }

    #[started]
    async fn on_started(&mut self) {
        self.started.fetch_add(1, Ordering::SeqCst);
    }
}

/// Another actor type, to hold a name a `Registry` wants.
struct Squatter;

#[actor]
impl Squatter {
    async fn squat(&self) -> bool {
        true
    }
}

fn named<A: Actor>(name: &str) -> ActorOptions<A> {
    ActorOptions::new().name(name)
}

#[tokio::test]
async fn creating_a_named_actor_twice_returns_the_same_address_and_makes_one_actor() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let started = Arc::new(AtomicUsize::new(0));
        let first = system
            .create_actor_with(Registry::new(1, &started), named("registry"))
            .await
            .unwrap();
        let second = system
            .create_actor_with(Registry::new(2, &started), named("registry"))
            .await
            .unwrap();
        assert_eq!(first, second);
        assert_eq!(system.live_actors(), 1);
        // The second value was dropped: the first is the one that answers.
        assert_eq!(second.instance().ask().await, Ok(1));
        assert_eq!(started.load(Ordering::SeqCst), 1);
        system.shutdown().await;
    }
}

#[tokio::test]
async fn named_finds_the_actor_holding_a_name() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let started = Arc::new(AtomicUsize::new(0));
        assert!(system.named::<Registry>("registry").is_none());
        let registry = system
            .create_actor_with(Registry::new(1, &started), named("registry"))
            .await
            .unwrap();
        assert_eq!(system.named::<Registry>("registry"), Some(registry.clone()));
        assert!(system.named::<Registry>("other").is_none());
        // The wrong type finds nothing.
        assert!(system.named::<Squatter>("registry").is_none());
        // An unnamed actor of the same type takes no name.
        let unnamed = system
            .create_actor(Registry::new(2, &started))
            .await
            .unwrap();
        assert_ne!(unnamed, registry);
        assert_eq!(system.named::<Registry>("registry"), Some(registry));
        system.shutdown().await;
    }
}

// Default base only: a deliberate race of creates from tasks on a multi-thread runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_of_one_name_make_exactly_one_actor() {
    let system = ActorSystem::new();
    let started = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(tokio::sync::Barrier::new(16));
    let creators: Vec<_> = (0..16)
        .map(|i| {
            let system = system.clone();
            let started = started.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                system
                    .create_actor_with(Registry::new(i, &started), named("shared"))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut addresses = Vec::new();
    for creator in creators {
        addresses.push(creator.await.unwrap());
    }
    assert!(addresses.iter().all(|a| *a == addresses[0]));
    assert_eq!(system.live_actors(), 1);
    let instance = addresses[0].instance().ask().await.unwrap();
    for addr in &addresses {
        assert_eq!(addr.instance().ask().await, Ok(instance));
    }
    assert_eq!(started.load(Ordering::SeqCst), 1);
    system.shutdown().await;
}

#[tokio::test]
async fn the_name_is_freed_when_its_actor_exits() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let started = Arc::new(AtomicUsize::new(0));
        let old = system
            .create_actor_with(Registry::new(1, &started), named("registry"))
            .await
            .unwrap();
        old.request_exit();
        common::wait_until_dead(&system, &old).await;
        assert_eq!(system.live_actors(), 0);
        assert!(system.named::<Registry>("registry").is_none());

        let new = system
            .create_actor_with(Registry::new(2, &started), named("registry"))
            .await
            .unwrap();
        assert_ne!(new, old);
        assert_eq!(new.instance().ask().await, Ok(2));
        assert_eq!(system.live_actors(), 1);
        assert_eq!(started.load(Ordering::SeqCst), 2);
        assert_eq!(system.named::<Registry>("registry"), Some(new));
        system.shutdown().await;
    }
}

#[tokio::test]
async fn a_name_held_by_another_actor_type_is_taken() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let started = Arc::new(AtomicUsize::new(0));
        let squatter = system
            .create_actor_with(Squatter, named("registry"))
            .await
            .unwrap();
        let refused = system
            .create_actor_with(Registry::new(1, &started), named("registry"))
            .await
            .unwrap_err();
        match refused {
            CreateError::NameTaken { name, actor } => {
                assert_eq!(name, "registry");
                assert!(actor.ends_with("Squatter"), "{actor}");
            }
            other => panic!("expected NameTaken, got {other:?}"),
        }
        assert_eq!(system.live_actors(), 1);
        assert_eq!(started.load(Ordering::SeqCst), 0);
        assert!(system.named::<Registry>("registry").is_none());
        assert_eq!(system.named::<Squatter>("registry"), Some(squatter.clone()));
        assert_eq!(squatter.squat().ask().await, Ok(true));
        system.shutdown().await;
    }
}

/// Creates a named actor from inside an actor.
struct Founder;

#[actor(no_serde)]
impl Founder {
    async fn found(&mut self, registry: Registry, ctx: &mut Context<Self>) -> Addr<Registry> {
        ctx.create_actor_with(registry, named("registry"))
            .await
            .unwrap()
    }

    async fn child_count(&self, ctx: &Context<Self>) -> usize {
        ctx.children().count()
    }
}

#[tokio::test]
async fn a_named_actor_created_by_an_actor_is_the_systems_child_and_outlives_its_creator() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let started = Arc::new(AtomicUsize::new(0));
        let founder = system.create_actor(Founder).await.unwrap();
        let registry = founder
            .found(Registry::new(1, &started))
            .ask()
            .await
            .unwrap();
        assert_eq!(founder.child_count().ask().await, Ok(0));
        // Named from outside afterwards: the same actor.
        let again = system
            .create_actor_with(Registry::new(2, &started), named("registry"))
            .await
            .unwrap();
        assert_eq!(again, registry);

        founder.request_exit();
        common::wait_until_dead(&system, &founder).await;
        assert!(registry.is_alive());
        assert_eq!(registry.instance().ask().await, Ok(1));
        system.shutdown().await;
    }
}

/// Creates the named replacement of a `Holder` when dropped: run while the old holder is ending
/// (its mailbox closed, its task not yet finished), it is the window in which, on a multi-threaded
/// runtime, another thread may create the replacement.
struct Replacer {
    system: ActorSystem,
    replacement: Arc<std::sync::Mutex<Option<Addr<Holder>>>>,
}

impl Drop for Replacer {
    fn drop(&mut self) {
        use futures::FutureExt;
        let created = self
            .system
            .create_actor_with(Holder { on_stop: None }, named("holder"))
            .now_or_never()
            .expect("creating never waits")
            .unwrap();
        *self.replacement.lock().unwrap() = Some(created);
    }
}

/// When stopping, sends itself a message that stays in its mailbox as it closes (a dead letter).
struct Holder {
    on_stop: Option<Replacer>,
}

#[actor(no_serde)]
impl Holder {
    async fn parcel(&mut self, replacer: Replacer) {
        drop(replacer);
    }

    #[stopping]
    async fn on_stopping(&mut self, ctx: &mut Context<Self>) {
        if let Some(replacer) = self.on_stop.take() {
            let _ = ctx.myself().tell(HolderParcel { replacer }).await;
        }
    }
}

#[tokio::test]
async fn a_replacement_created_while_the_old_holder_is_ending_keeps_the_name() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let replacement = Arc::new(std::sync::Mutex::new(None));
        let old = system
            .create_actor_with(
                Holder {
                    on_stop: Some(Replacer {
                        system: system.clone(),
                        replacement: replacement.clone(),
                    }),
                },
                named("holder"),
            )
            .await
            .unwrap();
        old.request_exit();
        common::wait_until_dead(&system, &old).await;
        let new = replacement
            .lock()
            .unwrap()
            .clone()
            .expect("the replacement was created");
        assert_ne!(new, old);
        assert!(new.is_alive());
        assert_eq!(system.live_actors(), 1);
        // The old holder's end must not take the name from its replacement.
        assert_eq!(system.named::<Holder>("holder"), Some(new.clone()));
        let again = system
            .create_actor_with(Holder { on_stop: None }, named("holder"))
            .await
            .unwrap();
        assert_eq!(again, new);
        assert_eq!(system.live_actors(), 1);
        system.shutdown().await;
    }
}
