//! `tell`, `ask` and `listen`: ordering, correlation, timeouts, dead targets, concurrency; on
//! both bases where the scenario allows.

mod common;

use std::time::{Duration, Instant};

use thespian::prelude::*;
use thespian::ReceivedMessage;

#[derive(Default)]
struct Log {
    seen: Vec<u32>,
}

#[actor]
impl Log {
    async fn push(&mut self, n: u32) {
        self.seen.push(n);
    }

    async fn seen(&self) -> Vec<u32> {
        self.seen.clone()
    }

    async fn echo(&self, n: u32) -> u32 {
        n
    }

    /// Answers after a delay, to test timeouts and late replies.
    async fn slow_echo(&mut self, n: u32, delay_ms: u64) -> u32 {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        n
    }

    /// Sends `n` to the sender as an ordinary message (to the outside, for `listen`).
    async fn shout(&mut self, n: u32, ctx: &mut Context<Self>) {
        let to = ctx.sender();
        ctx.send(&to, n);
    }
}

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test]
async fn tells_then_ask_from_one_sender_arrive_in_order() {
    for system in common::both_bases() {
        let log = system.create_actor(Log::default()).await.unwrap();
        for n in 0..1000 {
            log.push(n).tell().await.unwrap();
        }
        assert_eq!(
            log.seen().ask().await.unwrap(),
            (0..1000).collect::<Vec<_>>(),
            "{}",
            system.name()
        );
        system.shutdown().await;
    }
}

// Default base only: the handler sleeps with tokio (real time, beside the sequential base's
// virtual clock) under a paused tokio clock.
#[tokio::test(start_paused = true)]
async fn ask_times_out_and_the_late_reply_never_answers_a_later_ask() {
    let system = ActorSystem::new();
    let log = system.create_actor(Log::default()).await.unwrap();
    let late = system
        .ask(
            &log,
            LogSlowEcho {
                n: 1,
                delay_ms: 500,
            },
            Duration::from_millis(100),
        )
        .await;
    assert_eq!(late, Err(AskError::Timeout(Duration::from_millis(100))));
    // The first reply (1) arrives while this ask waits; it must not be mistaken for this one.
    let next = system.ask(&log, LogEcho { n: 2 }, SECOND).await;
    assert_eq!(next, Ok(2));
    // The late reply became a dead letter rather than vanishing.
    assert_eq!(system.dead_letter_count(), 1);
    system.shutdown().await;
}

#[tokio::test]
async fn ask_to_an_exited_actor_fails_at_once() {
    for system in common::both_bases() {
        let base = system.name();
        let log = system.create_actor(Log::default()).await.unwrap();
        log.request_exit();
        // The sequential base handles the exit request here; the default base on its own.
        system.run_until_idle().await;
        while log.is_alive() {
            tokio::task::yield_now().await;
        }
        let started = Instant::now();
        let answer = log.seen().timeout(Duration::from_secs(30)).ask().await;
        assert_eq!(answer, Err(AskError::DeadActor), "{base}");
        assert!(started.elapsed() < Duration::from_secs(5), "{base}");
        assert_eq!(system.dead_letter_count(), 1, "{base}");
        system.shutdown().await;
    }
}

#[tokio::test]
async fn tell_to_an_exited_actor_hands_the_message_back() {
    for system in common::both_bases() {
        let base = system.name();
        let log = system.create_actor(Log::default()).await.unwrap();
        log.request_exit();
        system.run_until_idle().await;
        while log.is_alive() {
            tokio::task::yield_now().await;
        }
        let err = log.tell(LogPush { n: 7 }).await.unwrap_err();
        assert_eq!(err.reason(), &thespian::SendFailure::Exited, "{base}");
        assert_eq!(err.to_string(), "actor has exited", "{base}");
        assert_eq!(err.into_inner().map(|m| m.n), Some(7), "{base}");
        // Through the system (Thespian's tell) the message becomes a dead letter instead.
        system.tell(&log, LogPush { n: 8 }).await;
        assert_eq!(system.dead_letter_count(), 1, "{base}");
        system.shutdown().await;
    }
}

// Default base only: concurrent asks from tasks on a multi-thread runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_asks_from_many_tasks_each_get_their_own_reply() {
    let system = ActorSystem::new();
    let log = system.create_actor(Log::default()).await.unwrap();
    let mut tasks = Vec::new();
    for task in 0..32u32 {
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..100u32 {
                let n = task * 1000 + i;
                assert_eq!(log.echo(n).ask().await, Ok(n));
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    system.shutdown().await;
}

#[tokio::test]
async fn listen_receives_what_actors_send_to_the_outside() {
    for system in common::both_bases() {
        let base = system.name();
        let log = system.create_actor(Log::default()).await.unwrap();
        log.shout(5).tell().await.unwrap();
        let received: ReceivedMessage = system.listen(SECOND).await.unwrap();
        assert_eq!(received.sender.as_ref(), Some(&log.address()), "{base}");
        assert_eq!(received.downcast::<u32>().ok(), Some(5), "{base}");
        system.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn listen_times_out_when_nothing_arrives() {
    for system in common::both_bases() {
        let err = system.listen(Duration::from_millis(50)).await.unwrap_err();
        assert_eq!(
            err,
            thespian::ListenError::Timeout(Duration::from_millis(50)),
            "{}",
            system.name()
        );
        system.shutdown().await;
    }
}

#[tokio::test]
async fn a_recipient_reaches_the_actor_behind_it() {
    for system in common::both_bases() {
        let base = system.name();
        let log = system.create_actor(Log::default()).await.unwrap();
        let recipient: Recipient<LogPush> = log.recipient();
        recipient.tell(LogPush { n: 1 }).await.unwrap();
        system.tell(&recipient, LogPush { n: 2 }).await;
        assert_eq!(recipient.address(), log.address(), "{base}");
        assert_eq!(log.seen().ask().await.unwrap(), vec![1, 2], "{base}");
        system.shutdown().await;
    }
}

#[tokio::test]
async fn untyped_sends_are_checked_at_run_time() {
    for system in common::both_bases() {
        let base = system.name();
        let log = system.create_actor(Log::default()).await.unwrap();
        let any: ActorAddress = log.address();
        assert!(any.tell_any(LogPush { n: 3 }).is_ok(), "{base}");
        let refused = any.tell_any("not a Log message").unwrap_err();
        assert!(refused.is::<&str>(), "{base}");
        assert_eq!(log.seen().ask().await.unwrap(), vec![3], "{base}");
        assert_eq!(any.downcast::<Log>(), Some(log.clone()), "{base}");
        system.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn an_ask_with_an_endless_timeout_does_not_overflow() {
    for system in common::both_bases() {
        let log = system.create_actor(Log::default()).await.unwrap();
        assert_eq!(
            log.echo(4).timeout(Duration::MAX).ask().await,
            Ok(4),
            "{}",
            system.name()
        );
        system.shutdown().await;
    }
}
