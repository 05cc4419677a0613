//! Wake-ups and delayed messages: `Context::wakeup_after`, `Context::notify_after`,
//! `Context::cancel`, and their end with the actor. On both bases, in virtual time throughout:
//! tokio's paused clock (`start_paused`) on the default base, the system's own on the sequential
//! base; time is read with `ActorSystem::now` and let pass with `common::let_pass`.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use thespian::prelude::*;
use thespian::{TimerId, WakeupMessage};
use tokio::time::Instant;

/// What the `#[wakeup]` hook or a delayed message saw.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    /// A wake-up: its id, the delay asked for, its `u64` payload, and when it came (since `t0`).
    Woken {
        id: TimerId,
        delay: Duration,
        payload: u64,
        at: Duration,
    },
    /// A delayed message, and when it came (since `t0`).
    Notified { n: u64, at: Duration },
}

/// Sets its flag when dropped: shows whether a pending wake-up's payload (or a delayed message)
/// was thrown away.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

struct Sleeper {
    t0: Instant,
    events: Arc<Mutex<Vec<Event>>>,
}

impl Sleeper {
    fn new(system: &ActorSystem) -> (Self, Arc<Mutex<Vec<Event>>>) {
        let events = Arc::new(Mutex::new(Vec::new()));
        (
            Sleeper {
                t0: system.now(),
                events: events.clone(),
            },
            events,
        )
    }
}

#[actor(no_serde)]
impl Sleeper {
    async fn wake_me(&mut self, delay: Duration, payload: u64, ctx: &mut Context<Self>) -> TimerId {
        ctx.wakeup_after(delay, payload)
    }

    /// Asks for one wake-up per delay, in the order given; the payload is the delay in ms.
    async fn wake_me_at_each(
        &mut self,
        delays_ms: Vec<u64>,
        ctx: &mut Context<Self>,
    ) -> Vec<TimerId> {
        delays_ms
            .into_iter()
            .map(|ms| ctx.wakeup_after(Duration::from_millis(ms), ms))
            .collect()
    }

    /// A wake-up whose payload is a drop flag rather than a number.
    async fn wake_me_with_flag(
        &mut self,
        delay: Duration,
        flag: DropFlag,
        ctx: &mut Context<Self>,
    ) {
        ctx.wakeup_after(delay, flag);
    }

    async fn notify_me(&mut self, delay: Duration, n: u64, ctx: &mut Context<Self>) -> TimerId {
        ctx.notify_after(delay, SleeperNotified { n })
    }

    /// A delayed message that carries a drop flag.
    async fn notify_me_with_flag(
        &mut self,
        delay: Duration,
        flag: DropFlag,
        ctx: &mut Context<Self>,
    ) {
        ctx.notify_after(delay, SleeperFlagged { flag });
    }

    async fn cancel_timer(&mut self, id: TimerId, ctx: &mut Context<Self>) -> bool {
        ctx.cancel(id)
    }

    async fn notified(&mut self, n: u64, ctx: &Context<Self>) {
        let at = ctx.system().now() - self.t0;
        self.events.lock().unwrap().push(Event::Notified { n, at });
    }

    async fn flagged(&mut self, flag: DropFlag, ctx: &Context<Self>) {
        drop(flag);
        self.events.lock().unwrap().push(Event::Notified {
            n: 0,
            at: ctx.system().now() - self.t0,
        });
    }

    #[wakeup]
    async fn on_wakeup(&mut self, wakeup: WakeupMessage, ctx: &Context<Self>) {
        let at = ctx.system().now() - self.t0;
        let payload = match wakeup.payload.downcast::<u64>() {
            Ok(n) => *n,
            Err(_) => u64::MAX,
        };
        self.events.lock().unwrap().push(Event::Woken {
            id: wakeup.id,
            delay: wakeup.delay,
            payload,
            at,
        });
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[tokio::test(start_paused = true)]
async fn a_wakeup_delivers_its_payload_to_the_wakeup_hook_after_its_delay() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let (sleeper, events) = Sleeper::new(&system);
        let sleeper = system.create_actor(sleeper).await.unwrap();
        let t0 = system.now();
        let id = sleeper.wake_me(ms(100), 42).ask().await.unwrap();

        common::let_pass(&system, ms(99)).await;
        assert!(events.lock().unwrap().is_empty(), "woken too early");

        common::let_pass(&system, ms(50)).await;
        let events = events.lock().unwrap().clone();
        assert_eq!(events.len(), 1, "{events:?}");
        let Event::Woken {
            id: woken,
            delay,
            payload,
            at,
        } = events[0].clone()
        else {
            panic!("not a wake-up: {events:?}");
        };
        assert_eq!(woken, id);
        assert_eq!(delay, ms(100));
        assert_eq!(payload, 42);
        assert!(at >= ms(100) && at < ms(110), "woken at {at:?}");
        assert!((system.now() - t0) < ms(200));
        system.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_thousand_pending_wakeups_fire_in_time_order() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let (sleeper, events) = Sleeper::new(&system);
        let sleeper = system.create_actor(sleeper).await.unwrap();
        // Delays 1..=1000 ms, asked for in a scrambled (but fixed) order: 7 is coprime with 1000.
        let delays: Vec<u64> = (0..1000u64).map(|i| (i * 7) % 1000 + 1).collect();
        let ids = sleeper.wake_me_at_each(delays.clone()).ask().await.unwrap();
        assert_eq!(ids.len(), 1000);
        let distinct: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), 1000, "timer ids must be distinct");

        common::let_pass(&system, ms(1_100)).await;
        let events = events.lock().unwrap().clone();
        assert_eq!(events.len(), 1000);
        let payloads: Vec<u64> = events
            .iter()
            .map(|e| match e {
                Event::Woken {
                    payload, delay, at, ..
                } => {
                    assert_eq!(*delay, ms(*payload));
                    assert!(*at >= *delay, "{e:?} came before its delay");
                    *payload
                }
                other => panic!("not a wake-up: {other:?}"),
            })
            .collect();
        assert_eq!(payloads, (1..=1000).collect::<Vec<_>>());
        // Each came with its own id.
        for (delay_ms, id) in delays.iter().zip(&ids) {
            let woken = events.iter().find_map(|e| match e {
                Event::Woken { id: w, payload, .. } if payload == delay_ms => Some(*w),
                _ => None,
            });
            assert_eq!(woken, Some(*id));
        }
        system.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_wakeup_never_fires_and_only_the_first_cancel_succeeds() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let (sleeper, events) = Sleeper::new(&system);
        let sleeper = system.create_actor(sleeper).await.unwrap();
        let cancelled = sleeper.wake_me(ms(100), 1).ask().await.unwrap();
        let kept = sleeper.wake_me(ms(200), 2).ask().await.unwrap();
        assert_ne!(cancelled, kept);

        assert_eq!(sleeper.cancel_timer(cancelled).ask().await, Ok(true));
        assert_eq!(sleeper.cancel_timer(cancelled).ask().await, Ok(false));

        common::let_pass(&system, ms(1_000)).await;
        let payloads: Vec<u64> = events
            .lock()
            .unwrap()
            .iter()
            .map(|e| match e {
                Event::Woken { payload, .. } => *payload,
                other => panic!("not a wake-up: {other:?}"),
            })
            .collect();
        assert_eq!(payloads, vec![2]);
        // A wake-up that has fired can no longer be cancelled.
        assert_eq!(sleeper.cancel_timer(kept).ask().await, Ok(false));
        system.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn notify_after_delivers_a_typed_message_after_its_delay() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let (sleeper, events) = Sleeper::new(&system);
        let sleeper = system.create_actor(sleeper).await.unwrap();
        sleeper.notify_me(ms(300), 7).ask().await.unwrap();
        sleeper.notify_me(ms(100), 5).ask().await.unwrap();

        common::let_pass(&system, ms(50)).await;
        assert!(events.lock().unwrap().is_empty());

        common::let_pass(&system, ms(500)).await;
        let events = events.lock().unwrap().clone();
        let seen: Vec<(u64, Duration)> = events
            .iter()
            .map(|e| match e {
                Event::Notified { n, at } => (*n, *at),
                other => panic!("not a delayed message: {other:?}"),
            })
            .collect();
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert_eq!(seen[0].0, 5);
        assert!(seen[0].1 >= ms(100) && seen[0].1 < ms(110), "{seen:?}");
        assert_eq!(seen[1].0, 7);
        assert!(seen[1].1 >= ms(300) && seen[1].1 < ms(310), "{seen:?}");
        system.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_delayed_message_is_never_delivered() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let (sleeper, events) = Sleeper::new(&system);
        let sleeper = system.create_actor(sleeper).await.unwrap();
        let id = sleeper.notify_me(ms(100), 1).ask().await.unwrap();
        assert_eq!(sleeper.cancel_timer(id).ask().await, Ok(true));
        assert_eq!(sleeper.cancel_timer(id).ask().await, Ok(false));
        common::let_pass(&system, ms(1_000)).await;
        assert!(events.lock().unwrap().is_empty());
        assert_eq!(system.dead_letter_count(), 0);
        system.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn pending_wakeups_and_delayed_messages_are_dropped_when_the_actor_exits() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let (sleeper, events) = Sleeper::new(&system);
        let sleeper = system.create_actor(sleeper).await.unwrap();
        let wakeup_dropped = Arc::new(AtomicBool::new(false));
        let message_dropped = Arc::new(AtomicBool::new(false));
        let hour = Duration::from_secs(3600);
        sleeper.wake_me(ms(100), 1).ask().await.unwrap();
        sleeper.notify_me(ms(100), 2).ask().await.unwrap();
        sleeper
            .wake_me_with_flag(hour, DropFlag(wakeup_dropped.clone()))
            .tell()
            .await
            .unwrap();
        sleeper
            .notify_me_with_flag(hour, DropFlag(message_dropped.clone()))
            .tell()
            .await
            .unwrap();

        let t0 = system.now();
        sleeper.request_exit();
        common::wait_until_dead(&system, &sleeper).await;
        // The pending work is thrown away with the actor, not kept until its deadline.
        common::let_pass(&system, ms(10)).await;
        assert!(
            wakeup_dropped.load(Ordering::SeqCst),
            "a wake-up outlived its actor"
        );
        assert!(
            message_dropped.load(Ordering::SeqCst),
            "a delayed message outlived its actor"
        );
        assert!((system.now() - t0) < ms(50));

        // And nothing comes later: no delivery, no dead letter.
        common::let_pass(&system, hour * 2).await;
        assert!(events.lock().unwrap().is_empty());
        assert_eq!(system.dead_letter_count(), 0);
        system.shutdown().await;
    }
}
