//! The sequential base: same actors, one thread, global message order, virtual time, traces.
#![cfg(feature = "sequential")]

use std::time::{Duration, Instant};

use thespian::prelude::*;
use thespian::TraceEntry;

/// Relays a count around a ring of three actors, each also noting to a recorder.
struct Relay {
    next: Option<Addr<Relay>>,
    recorder: Addr<Recorder>,
}

#[actor(no_serde)]
impl Relay {
    async fn link(&mut self, next: Addr<Relay>) {
        self.next = Some(next);
    }

    async fn pass(&mut self, left: u32, ctx: &mut Context<Self>) {
        ctx.tell(&self.recorder, RecorderNote { left }).await;
        if left > 0 {
            if let Some(next) = &self.next {
                ctx.tell(next, RelayPass { left: left - 1 }).await;
                ctx.tell(next, RelayPass { left: left / 2 }).await;
            }
        }
    }
}

#[derive(Default)]
struct Recorder {
    notes: Vec<u32>,
}

#[actor]
impl Recorder {
    async fn note(&mut self, left: u32) {
        self.notes.push(left);
    }

    async fn notes(&self) -> Vec<u32> {
        self.notes.clone()
    }
}

/// Runs the three-relay scenario on a sequential system and returns its trace.
async fn scenario(builder: thespian::ActorSystemBuilder) -> Vec<TraceEntry> {
    let system = builder.trace().build();
    let recorder = system.create_actor(Recorder::default()).await.unwrap();
    let mut relays = Vec::new();
    for _ in 0..3 {
        let relay = Relay {
            next: None,
            recorder: recorder.clone(),
        };
        relays.push(system.create_actor(relay).await.unwrap());
    }
    for i in 0..3 {
        relays[i]
            .link(relays[(i + 1) % 3].clone())
            .tell()
            .await
            .unwrap();
    }
    relays[0].pass(6).tell().await.unwrap();
    system.run_until_idle().await;
    assert!(!recorder.notes().ask().await.unwrap().is_empty());
    let trace = system.trace();
    system.shutdown().await;
    trace
}

#[tokio::test]
async fn the_same_scenario_gives_the_same_trace_every_time() {
    let first = scenario(thespian::ActorSystem::builder().sequential()).await;
    assert!(first.len() > 50, "{first:#?}");
    for _ in 0..100 {
        assert_eq!(
            scenario(thespian::ActorSystem::builder().sequential()).await,
            first
        );
    }
    // The trace names actors by creation order, so it reads the same in every run.
    assert_eq!(first[0].to_string(), "outside -> Relay#2: RelayLink");
}

#[tokio::test]
async fn a_seed_explores_another_schedule_reproducibly() {
    let plain = scenario(thespian::ActorSystem::builder().sequential()).await;
    let seeded = scenario(thespian::ActorSystem::builder().seed(7)).await;
    let again = scenario(thespian::ActorSystem::builder().seed(7)).await;
    let other = scenario(thespian::ActorSystem::builder().seed(8)).await;
    assert_eq!(seeded, again);
    assert_ne!(seeded, plain);
    assert_ne!(seeded, other);
    // Same messages, other order.
    let sorted = |mut t: Vec<TraceEntry>| {
        t.sort_by(|a, b| {
            (&a.sender, &a.receiver, a.message).cmp(&(&b.sender, &b.receiver, b.message))
        });
        t
    };
    assert_eq!(sorted(seeded), sorted(plain));
}

#[derive(Default)]
struct Sleeper {
    woke: Vec<String>,
    waiting: Option<ReplyHandle<Vec<String>>>,
    stalled: Option<ReplyHandle<u8>>,
}

#[actor]
impl Sleeper {
    async fn nap(&mut self, ctx: &mut Context<Self>) {
        ctx.wakeup_after(Duration::from_secs(3600), "an hour later".to_string());
    }

    async fn woke(&self) -> Vec<String> {
        self.woke.clone()
    }

    /// Answers once a wake-up has arrived.
    async fn when_woken(&mut self, reply: ReplyHandle<Vec<String>>) {
        self.waiting = Some(reply);
    }

    /// Answers never: the reply handle is kept, not used.
    async fn stall(&mut self, reply: ReplyHandle<u8>) {
        self.stalled = Some(reply);
    }

    async fn explode(&mut self) -> u8 {
        panic!("sequential boom")
    }

    #[wakeup]
    async fn on_wakeup(&mut self, wakeup: WakeupMessage) {
        if let Ok(text) = wakeup.payload.downcast::<String>() {
            self.woke.push(*text);
        }
        if let Some(reply) = self.waiting.take() {
            let _ = reply.send(self.woke.clone());
        }
    }
}

/// Sets an hour-long wake-up and waits for it; returns how long that took for real.
async fn wait_an_hour() -> Duration {
    let system = thespian::ActorSystem::builder().sequential().build();
    let sleeper = system.create_actor(Sleeper::default()).await.unwrap();
    let started = Instant::now();
    sleeper.nap().tell().await.unwrap();
    // Answered by the wake-up hook: the ask drives the system while the clock jumps an hour.
    let woke = sleeper
        .when_woken()
        .timeout(Duration::from_secs(7200))
        .ask()
        .await
        .unwrap();
    assert_eq!(woke, vec!["an hour later".to_string()]);
    let took = started.elapsed();
    system.shutdown().await;
    assert_eq!(system.live_actors(), 0);
    took
}

#[tokio::test]
async fn an_hour_long_wakeup_fires_in_virtual_time() {
    assert!(wait_an_hour().await < Duration::from_secs(1));
}

#[tokio::test]
async fn ask_timeouts_fire_in_virtual_time() {
    let system = thespian::ActorSystem::builder().sequential().build();
    let sleeper = system.create_actor(Sleeper::default()).await.unwrap();
    let started = Instant::now();
    let answer = sleeper.stall().timeout(Duration::from_secs(60)).ask().await;
    assert_eq!(answer, Err(AskError::Timeout(Duration::from_secs(60))));
    assert!(started.elapsed() < Duration::from_secs(1));
    system.shutdown().await;
}

#[tokio::test]
async fn a_panic_follows_the_poison_rules() {
    let system = thespian::ActorSystem::builder().sequential().build();
    let sleeper = system.create_actor(Sleeper::default()).await.unwrap();
    assert_eq!(
        sleeper.explode().ask().await,
        Err(AskError::Poisoned(Poison::Panicked(
            "sequential boom".into()
        )))
    );
    assert_eq!(sleeper.woke().ask().await, Ok(vec![]));
    system.shutdown().await;
}

struct Hello;

#[actor]
impl Hello {
    async fn hi(&mut self) -> String {
        "Hello, World!".to_string()
    }
}

#[tokio::test]
async fn hello_world_runs_unchanged() {
    let system = thespian::ActorSystem::builder().sequential().build();
    let hello = system.create_actor(Hello).await.unwrap();
    assert_eq!(
        system
            .ask(&hello, HelloHi, Duration::from_secs(1))
            .await
            .unwrap(),
        "Hello, World!"
    );
    hello.request_exit();
    assert_eq!(hello.hi().ask().await, Err(AskError::DeadActor));
    system.shutdown().await;
    assert_eq!(system.live_actors(), 0);
}

struct Broken;

#[actor]
impl Broken {
    async fn never(&mut self) {}

    #[started]
    async fn on_start(&mut self) {
        panic!("cannot start")
    }
}

#[tokio::test]
async fn an_actor_that_fails_to_start_does_not_stall_the_system() {
    let system = thespian::ActorSystem::builder().sequential().build();
    let broken = system.create_actor(Broken).await.unwrap();
    let _ = broken.never().tell().await;
    let hello = system.create_actor(Hello).await.unwrap();
    assert_eq!(hello.hi().ask().await.unwrap(), "Hello, World!");
    system.shutdown().await;
    assert_eq!(system.live_actors(), 0);
}

#[tokio::test]
async fn status_works_on_the_sequential_base() {
    let system = thespian::ActorSystem::builder().sequential().build();
    let hello = system.create_actor(Hello).await.unwrap();
    let status = system.status(Duration::from_secs(1)).await;
    assert_eq!(status.actors.len(), 1);
    assert_eq!(status.actors[0].address, hello.address());
    system.shutdown().await;
}

#[tokio::test]
async fn after_the_last_handle_is_dropped_sends_are_refused_not_lost() {
    let system = thespian::ActorSystem::builder().sequential().build();
    let recorder = system.create_actor(Recorder::default()).await.unwrap();
    drop(system);
    let refused = recorder.note(1).tell().await.unwrap_err();
    assert_eq!(refused.into_inner().map(|m| m.left), Some(1));
    assert!(!recorder.is_alive());
    assert!(recorder.notes().ask().await.is_err());
}

/// Asks another actor of its own system from within a handler.
struct Asker {
    hello: Addr<Hello>,
}

#[actor(no_serde)]
impl Asker {
    async fn ask_hello(&mut self) -> Result<String, AskError> {
        self.hello.hi().timeout(Duration::from_secs(30)).ask().await
    }
}

#[tokio::test]
async fn a_handler_asking_into_its_own_system_holds_its_turn_and_times_out_in_virtual_time() {
    let system = thespian::ActorSystem::builder().sequential().build();
    let hello = system.create_actor(Hello).await.unwrap();
    let asker = system
        .create_actor(Asker {
            hello: hello.clone(),
        })
        .await
        .unwrap();
    let started = Instant::now();
    assert_eq!(
        asker
            .ask_hello()
            .timeout(Duration::from_secs(60))
            .ask()
            .await,
        Err(AskError::Handler(AskError::Timeout(Duration::from_secs(
            30
        ))))
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    // Once the turn is over, the request waiting in `hello`'s mailbox is handled (its reply
    // has nobody left to go to) and the system goes on.
    assert_eq!(hello.hi().ask().await.unwrap(), "Hello, World!");
    system.shutdown().await;
}

#[test]
fn a_sequential_system_needs_no_tokio_runtime() {
    futures::executor::block_on(wait_an_hour());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_on_several_threads_drive_one_system_in_turn() {
    let system = thespian::ActorSystem::builder().sequential().build();
    let recorder = system.create_actor(Recorder::default()).await.unwrap();
    let callers: Vec<_> = (0..4)
        .map(|n| {
            let recorder = recorder.clone();
            tokio::spawn(async move {
                for i in 0..100 {
                    recorder.note(n * 1000 + i).tell().await.unwrap();
                    assert!(!recorder.notes().ask().await.unwrap().is_empty());
                }
            })
        })
        .collect();
    for caller in callers {
        caller.await.unwrap();
    }
    let mut notes = recorder.notes().ask().await.unwrap();
    notes.sort_unstable();
    let mut expected: Vec<u32> = (0..4)
        .flat_map(|n| (0..100).map(move |i| n * 1000 + i))
        .collect();
    expected.sort_unstable();
    assert_eq!(notes, expected);
    system.shutdown().await;
}

/// Threads sending at once, while another drives the system: each message gets exactly one turn
/// (none stranded, none handled twice), and each sender's messages keep their order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn senders_on_several_threads_each_get_one_turn_per_message_in_order() {
    let system = thespian::ActorSystem::builder().sequential().build();
    let recorders = [
        system.create_actor(Recorder::default()).await.unwrap(),
        system.create_actor(Recorder::default()).await.unwrap(),
    ];
    let senders: Vec<_> = (0..4u32)
        .map(|n| {
            let recorders = recorders.clone();
            std::thread::spawn(move || {
                for i in 0..2_000u32 {
                    let to = &recorders[(i % 2) as usize];
                    futures::executor::block_on(to.note(n * 10_000 + i).tell()).unwrap();
                }
            })
        })
        .collect();
    // Driving meanwhile: turns are granted while the senders push.
    while senders.iter().any(|s| !s.is_finished()) {
        system.run_until_idle().await;
        tokio::task::yield_now().await;
    }
    for sender in senders {
        sender.join().unwrap();
    }
    for (r, recorder) in recorders.iter().enumerate() {
        let notes = recorder.notes().ask().await.unwrap();
        assert_eq!(notes.len(), 4 * 1_000, "recorder {r}");
        for n in 0..4u32 {
            let from_n: Vec<u32> = notes
                .iter()
                .copied()
                .filter(|note| note / 10_000 == n)
                .collect();
            let expected: Vec<u32> = (0..2_000u32)
                .filter(|i| (i % 2) as usize == r)
                .map(|i| n * 10_000 + i)
                .collect();
            assert_eq!(from_n, expected, "recorder {r}, sender {n}");
        }
    }
    system.shutdown().await;
}

/// Messages an actor has in a row are handled in a row (its turns are granted together), and
/// whatever they send takes its place behind everything already sent, as one turn at a time would.
#[tokio::test]
async fn turns_follow_the_order_in_which_messages_were_sent() {
    let system = thespian::ActorSystem::builder().trace().build();
    let recorder = system.create_actor(Recorder::default()).await.unwrap();
    let first = Relay {
        next: None,
        recorder: recorder.clone(),
    };
    let second = Relay {
        next: None,
        recorder: recorder.clone(),
    };
    let first = system.create_actor(first).await.unwrap();
    let second = system.create_actor(second).await.unwrap();
    first.link(second.clone()).tell().await.unwrap();
    // Three messages in a row for `first`, one for the recorder, then `first` again.
    for left in [1, 1, 0] {
        first.pass(left).tell().await.unwrap();
    }
    recorder.note(9).tell().await.unwrap();
    first.pass(0).tell().await.unwrap();
    system.run_until_idle().await;
    let handled: Vec<String> = system
        .trace()
        .iter()
        .skip_while(|e| e.message != "RelayPass")
        .map(|e| format!("{} -> {}", e.sender, e.receiver))
        .collect();
    let expected = [
        // `first`'s run of three, each noting to the recorder and passing twice to `second`.
        "outside -> Relay#2",
        "outside -> Relay#2",
        "outside -> Relay#2",
        // What was sent from outside before the run ended, then what the run sent, in order.
        "outside -> Recorder#1",
        "outside -> Relay#2",
        "Relay#2 -> Recorder#1",
        "Relay#2 -> Relay#3",
        "Relay#2 -> Relay#3",
        "Relay#2 -> Recorder#1",
        "Relay#2 -> Relay#3",
        "Relay#2 -> Relay#3",
        "Relay#2 -> Recorder#1",
        // And what those sent: the last `pass` from outside, then `second`'s notes.
        "Relay#2 -> Recorder#1",
        "Relay#3 -> Recorder#1",
        "Relay#3 -> Recorder#1",
        "Relay#3 -> Recorder#1",
        "Relay#3 -> Recorder#1",
    ];
    assert_eq!(handled, expected, "{:#?}", system.trace());
    system.shutdown().await;
}

struct Impatient;

#[actor(no_serde)]
impl Impatient {
    /// Waits for its own system to be idle, which it cannot be while this handler runs.
    async fn wait_for_idle(&mut self, ctx: &mut Context<Self>) -> u8 {
        ctx.system().run_until_idle().await;
        1
    }
}

#[tokio::test]
async fn run_until_idle_from_a_handler_returns_at_once() {
    let system = thespian::ActorSystem::builder().sequential().build();
    let impatient = system.create_actor(Impatient).await.unwrap();
    assert_eq!(impatient.wait_for_idle().ask().await, Ok(1));
    system.shutdown().await;
}
