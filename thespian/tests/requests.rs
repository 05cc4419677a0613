//! A generated method makes a `Request`; the call site tells or asks it. Asking a handler that
//! returns nothing waits for it; a handler's own error is flattened into the ask's error, and
//! reported when the message was only told. On both bases, but for the handlers that sleep.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod common;

use common::Log;
use thespian::prelude::*;

#[derive(Default)]
struct Till {
    cash: u64,
    handled: Arc<AtomicU32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Short {
    had: u64,
}

impl std::fmt::Display for Short {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "only {} in the till", self.had)
    }
}

#[actor(no_serde)]
impl Till {
    async fn fill(&mut self, n: u64) {
        // Long enough that an ask returning before the handler ended would be seen.
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.cash += n;
        self.handled.fetch_add(1, Ordering::SeqCst);
    }

    async fn pay(&mut self, n: u64) -> Result<u64, Short> {
        self.handled.fetch_add(1, Ordering::SeqCst);
        self.cash = self.cash.checked_sub(n).ok_or(Short { had: self.cash })?;
        Ok(self.cash)
    }

    async fn cash(&self) -> u64 {
        self.cash
    }

    async fn stall(&self) -> Result<u64, Short> {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(self.cash)
    }
}

async fn till(system: &ActorSystem) -> (Addr<Till>, Arc<AtomicU32>) {
    let handled = Arc::new(AtomicU32::new(0));
    let till = Till {
        cash: 0,
        handled: handled.clone(),
    };
    (system.create_actor(till).await.unwrap(), handled)
}

// Default base only: the handler sleeps with tokio, and on the sequential base the virtual clock
// jumps past the ask's deadline while it does (a documented limit).
#[tokio::test]
async fn asking_a_handler_that_returns_nothing_waits_until_it_has_run() {
    let system = ActorSystem::new();
    let (till, handled) = till(&system).await;
    assert_eq!(till.fill(5).ask().await, Ok(()));
    assert_eq!(handled.load(Ordering::SeqCst), 1);
    // A tell returns once the mailbox took the message, long before the handler's sleep is over.
    till.fill(1).tell().await.unwrap();
    assert_eq!(handled.load(Ordering::SeqCst), 1);
    assert_eq!(till.cash().ask().await, Ok(6));
    system.shutdown().await;
}

#[tokio::test]
async fn a_request_neither_told_nor_asked_is_never_sent() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let (till, handled) = till(&system).await;
        let unsent = till.fill(5);
        assert_eq!(unsent.into_message().n, 5);
        drop(till.pay(1));
        assert_eq!(till.cash().ask().await, Ok(0));
        assert_eq!(handled.load(Ordering::SeqCst), 0);
        assert_eq!(system.dead_letter_count(), 0);
        system.shutdown().await;
    }
}

// Paused: the stalled handler's hour passes at once once nothing else can happen. Default base
// only: the handler sleeps with tokio under tokio's paused clock, beside the sequential base's own.
#[tokio::test(start_paused = true)]
async fn a_handlers_error_is_flattened_into_the_asks_error() {
    let system = ActorSystem::new();
    let (till, _) = till(&system).await;
    till.fill(10).tell().await.unwrap();
    assert_eq!(till.pay(4).ask().await, Ok(6));
    let refused: Result<u64, AskError<Short>> = till.pay(7).ask().await;
    assert_eq!(refused, Err(AskError::Handler(Short { had: 6 })));
    assert_eq!(
        refused.unwrap_err().to_string(),
        "the handler returned an error: only 6 in the till"
    );
    // The failures of the ask itself keep their kinds.
    let waited = till.stall().timeout(Duration::from_millis(20)).ask().await;
    assert_eq!(waited, Err(AskError::Timeout(Duration::from_millis(20))));
    till.request_exit();
    till.wait_for_exit().await;
    assert_eq!(till.pay(1).ask().await, Err(AskError::DeadActor));
    system.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_told_handlers_error_is_reported_not_dropped() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let (log, _guard) = Log::capture("info");
        let (till, handled) = till(&system).await;
        till.pay(3).tell().await.unwrap();
        till.pay(0).tell().await.unwrap();
        assert_eq!(till.cash().ask().await, Ok(0));
        assert_eq!(handled.load(Ordering::SeqCst), 2);
        system.shutdown().await;
        let log = log.lines();
        let reports: Vec<&String> = log
            .iter()
            .filter(|l| l.contains("the handler of a told message returned an error"))
            .collect();
        assert_eq!(reports.len(), 1, "{log:#?}");
        assert!(reports[0].contains("WARN"), "{log:#?}");
        assert!(reports[0].contains("TillPay"), "{log:#?}");
        assert!(reports[0].contains("Short { had: 0 }"), "{log:#?}");
    }
}
