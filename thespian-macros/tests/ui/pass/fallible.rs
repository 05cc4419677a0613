// A handler returning a `Result` (spelled `Result<T, E>` or through an alias) makes a fallible
// request: its ask flattens the handler's error into `AskError<E>`; told, the error is reported.
use std::time::Duration;

use thespian::prelude::*;
use thespian::{Fallible, FallibleAsk, Plain, Request};

#[derive(Default)]
struct Till {
    cash: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Short(u64);

#[actor(no_serde)]
impl Till {
    async fn pay(&mut self, n: u64) -> Result<u64, Short> {
        self.cash = self.cash.checked_sub(n).ok_or(Short(self.cash))?;
        Ok(self.cash)
    }

    async fn open(&mut self) -> std::io::Result<()> {
        Ok(())
    }

    async fn fill(&mut self, n: u64) {
        self.cash += n;
    }
}

// The kinds are in the types: a call site cannot mistake one for the other.
async fn kinds(till: &Addr<Till>) -> Result<u64, AskError<Short>> {
    let fill: Request<'_, Till, TillFill, Plain> = till.fill(5);
    fill.tell().await.ok();
    let handled: Result<(), AskError> = till.fill(1).ask().await;
    handled.ok();
    let pay: Request<'_, Till, TillPay, Fallible> = till.pay(2);
    let asked: FallibleAsk<u64, Short> = pay.timeout(Duration::from_secs(1)).ask();
    let opened: Result<(), AskError<std::io::Error>> = till.open().ask().await;
    opened.ok();
    asked.await
}

fn main() {
    let _ = kinds;
    let _ = Till::default();
}
