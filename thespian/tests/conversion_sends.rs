//! A message whose conversion (`From`) itself sends, to the same actor or another: on the
//! sequential base the conversion runs under the system's turns, which must let it send (no
//! deadlock), and every message gets exactly one turn, in the order the sends began.

mod common;

use std::cell::RefCell;
use std::time::Duration;

use thespian::prelude::*;

/// Records the numbers it is given, in the order it handles them.
#[derive(Default)]
struct Log {
    seen: Vec<u64>,
}

enum LogMessage {
    Add(u64),
    Seen,
}

impl Message for LogMessage {
    type Reply = Vec<u64>;
}
impl Mail for LogMessage {}

impl Actor for Log {
    type Message = LogMessage;

    async fn handle(&mut self, message: LogMessage, ctx: &mut Context<Self>) {
        match message {
            LogMessage::Add(n) => self.seen.push(n),
            LogMessage::Seen => ctx.reply(self.seen.clone()),
        }
    }
}

thread_local! {
    /// Where a conversion of `Echoed` sends its echo.
    static ECHO_TO: RefCell<Option<Addr<Log>>> = const { RefCell::new(None) };
}

/// Converts into `Add(n)`, and as it is converted tells `Add(10 * n)` to `ECHO_TO`.
struct Echoed(u64);

impl From<Echoed> for LogMessage {
    fn from(Echoed(n): Echoed) -> Self {
        ECHO_TO.with(|to| {
            let to = to.borrow();
            let to = to.as_ref().expect("an echo target");
            // A `Tell` sends as it is made.
            drop(to.tell(LogMessage::Add(10 * n)));
        });
        LogMessage::Add(n)
    }
}

const TIMEOUT: Duration = Duration::from_secs(5);

async fn sends_inside_a_conversion(system: ActorSystem) {
    let base = system.name().to_owned();
    let log = system.create_actor(Log::default()).await.unwrap();
    let other = system.create_actor(Log::default()).await.unwrap();

    // Echoed to the same actor: the message converted took its slot first.
    ECHO_TO.with(|to| *to.borrow_mut() = Some(log.clone()));
    log.tell(LogMessage::Add(1)).await.unwrap();
    log.tell(Echoed(2)).await.unwrap();
    log.tell(LogMessage::Add(3)).await.unwrap();
    assert_eq!(
        log.ask(LogMessage::Seen, TIMEOUT).await,
        Ok(vec![1, 2, 20, 3]),
        "{base}"
    );

    // Echoed to another actor: both handled, nothing stranded.
    ECHO_TO.with(|to| *to.borrow_mut() = Some(other.clone()));
    log.tell(Echoed(4)).await.unwrap();
    other.tell(LogMessage::Add(5)).await.unwrap();
    assert_eq!(
        log.ask(LogMessage::Seen, TIMEOUT).await,
        Ok(vec![1, 2, 20, 3, 4]),
        "{base}"
    );
    assert_eq!(
        other.ask(LogMessage::Seen, TIMEOUT).await,
        Ok(vec![40, 5]),
        "{base}"
    );
    ECHO_TO.with(|to| *to.borrow_mut() = None);
    system.shutdown().await;
}

/// Runs `body` on a thread of its own and fails if it has not returned within `limit`: a
/// deadlock fails the test instead of hanging it.
fn within(limit: Duration, body: impl FnOnce() + Send + 'static) {
    let started = std::time::Instant::now();
    let thread = std::thread::spawn(body);
    while !thread.is_finished() {
        assert!(
            started.elapsed() < limit,
            "a send inside a conversion did not return (deadlock)"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    if let Err(panic) = thread.join() {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn a_conversion_may_send_on_either_base() {
    within(Duration::from_secs(30), || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            for system in common::both_bases() {
                sends_inside_a_conversion(system).await;
            }
        });
    });
}
