//! The actors and raw-tokio baselines that the benchmarks (`benches/`) and the memory probe
//! (`src/bin/idle_memory.rs`) measure. Each thespian workload has a baseline doing the same work
//! with plain tokio tasks and channels.

use thespian::prelude::*;
use tokio::sync::{mpsc, oneshot};

/// A counter written with `#[actor]`.
#[derive(Default)]
pub struct Counter {
    total: u64,
}

#[actor]
impl Counter {
    /// Adds to the total.
    pub async fn add(&mut self, n: u64) {
        self.total += n;
    }

    /// The total so far.
    pub async fn total(&self) -> u64 {
        self.total
    }
}

/// The same counter written by hand (no macro), to show the macro costs nothing. "The same"
/// includes the failure rule: like `#[actor]`, it offers a copy of each message, kept for the
/// poison notice should its handler panic ([`Mail::copy`]; about one instruction per message
/// here, under callgrind).
#[derive(Default)]
pub struct HandCounter {
    total: u64,
}

/// The hand-written counter's messages.
#[derive(Clone)]
pub enum HandMessage {
    /// Adds to the total.
    Add(u64),
    /// Asks for the total.
    Total,
}

impl Message for HandMessage {
    type Reply = u64;
}

impl Mail for HandMessage {
    fn copy(message: &HandMessage) -> Option<HandMessage> {
        Some(message.clone())
    }
}

impl Actor for HandCounter {
    type Message = HandMessage;

    async fn handle(&mut self, message: HandMessage, ctx: &mut Context<Self>) {
        match message {
            HandMessage::Add(n) => self.total += n,
            HandMessage::Total => ctx.reply(self.total),
        }
    }
}

/// The raw baseline's counter messages.
pub enum RawMessage {
    /// Adds to the total.
    Add(u64),
    /// Asks for the total.
    Total(oneshot::Sender<u64>),
}

/// A tokio task draining an unbounded channel: the raw baseline of a counter actor.
pub fn spawn_raw_counter() -> mpsc::UnboundedSender<RawMessage> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut total = 0u64;
        while let Some(msg) = rx.recv().await {
            match msg {
                RawMessage::Add(n) => total += n,
                RawMessage::Total(reply) => {
                    let _ = reply.send(total);
                }
            }
        }
    });
    tx
}

/// The raw baseline of spawning an actor: a new counter task told `n`, then asked for its total
/// (the request leaves now; the receiver waits for the answer). Dropping the sender ends the task
/// once it has drained.
pub fn spawn_raw_counter_and_ask(n: u64) -> oneshot::Receiver<u64> {
    let tx = spawn_raw_counter();
    tx.send(RawMessage::Add(n)).expect("raw counter alive");
    let (reply, rx) = oneshot::channel();
    tx.send(RawMessage::Total(reply))
        .expect("raw counter alive");
    rx
}

/// Arms one tokio timer on the current runtime for `after`, until the guard drops: a raw
/// baseline's runtime then looks like one where an ask's deadline keeps a timer armed (each time
/// it parks, tokio's timer driver reads its wheel and the clock). Must be called on a runtime.
pub fn arm_a_timer(after: std::time::Duration) -> ArmedTimer {
    ArmedTimer(tokio::spawn(tokio::time::sleep(after)).abort_handle())
}

/// A timer armed by [`arm_a_timer`]; dropping it disarms the timer.
#[derive(Debug)]
pub struct ArmedTimer(tokio::task::AbortHandle);

impl Drop for ArmedTimer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Asks a raw counter for its total.
pub async fn raw_total(tx: &mpsc::UnboundedSender<RawMessage>) -> u64 {
    let (reply, rx) = oneshot::channel();
    tx.send(RawMessage::Total(reply))
        .expect("raw counter alive");
    rx.await.expect("raw counter replies")
}

/// One side of a ping-pong pair: bounces a count to its peer until it reaches zero, then answers
/// whoever started the game.
#[derive(Default)]
pub struct Player {
    peer: Option<Addr<Player>>,
    done: Option<ReplyHandle<u64>>,
}

#[actor(no_serde)]
impl Player {
    /// Sets the peer to bounce to.
    pub async fn set_peer(&mut self, peer: Addr<Player>) {
        self.peer = Some(peer);
    }

    /// Starts a game of `rounds` round trips; the reply comes when it ends.
    pub async fn serve(&mut self, rounds: u64, reply: ReplyHandle<u64>) {
        self.done = Some(reply);
        if let Some(peer) = &self.peer {
            // The peer gets the odd counts, this player the even ones, ending with 0.
            let _ = peer
                .tell(PlayerBall {
                    left: rounds * 2 - 1,
                })
                .await;
        }
    }

    /// One bounce.
    pub async fn ball(&mut self, left: u64) {
        if left == 0 {
            if let Some(done) = self.done.take() {
                let _ = done.send(0);
            }
        } else if let Some(peer) = &self.peer {
            let _ = peer.tell(PlayerBall { left: left - 1 }).await;
        }
    }
}

/// The raw baseline of ping-pong: two tasks and two channels, playing `rounds` round trips.
pub async fn raw_ping_pong(rounds: u64) {
    let (a_tx, mut a_rx) = mpsc::unbounded_channel::<u64>();
    let (b_tx, mut b_rx) = mpsc::unbounded_channel::<u64>();
    let (done_tx, done_rx) = oneshot::channel();
    let a_to_b = b_tx.clone();
    tokio::spawn(async move {
        while let Some(left) = b_rx.recv().await {
            if a_tx.send(left).is_err() {
                break;
            }
        }
    });
    tokio::spawn(async move {
        let mut done = Some(done_tx);
        a_to_b.send(rounds * 2).expect("b alive");
        while let Some(left) = a_rx.recv().await {
            if left <= 2 {
                if let Some(d) = done.take() {
                    let _ = d.send(());
                }
                break;
            }
            if a_to_b.send(left - 2).is_err() {
                break;
            }
        }
    });
    drop(b_tx);
    done_rx.await.expect("game ends");
}

/// An actor that answers one message: the unit of the spawn and fan-out workloads.
#[derive(Default)]
pub struct Worker {
    seen: u64,
}

#[actor]
impl Worker {
    /// Counts one message.
    pub async fn work(&mut self, n: u64) {
        self.seen += n;
    }

    /// How much it has counted.
    pub async fn seen(&self) -> u64 {
        self.seen
    }
}
