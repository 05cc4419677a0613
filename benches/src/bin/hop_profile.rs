//! One workload at a time on a current-thread runtime, for instruction counting: run it under
//! `valgrind --tool=callgrind` (which counts instructions, the same from run to run whatever else
//! the machine does) and divide by the number of hops to get a per-message budget.
//!
//! ```sh
//! cargo build --release -p benches --bin hop_profile
//! valgrind --tool=callgrind target/release/hop_profile ping_pong 100000
//! valgrind --tool=callgrind target/release/hop_profile raw_ping_pong 100000
//! ```
//!
//! Workloads: `ping_pong`, `raw_ping_pong` (round trips), `ask`, `ask_untimed`, `raw_ask`,
//! `raw_ask_timer` (requests; `ask_untimed` without a timeout, the last with a timer armed elsewhere
//! in the runtime, as an ask's deadline keeps one), `tell`,
//! `tell_by_hand`, `system_tell` (`system.tell(&addr, msg)`, Thespian's style), `raw_tell`
//! (messages, then one ask), `spawn`, `raw_spawn` (actors, one message
//! and one ask each), `fan_out`, `raw_fan_out` (messages over 100 actors, each woken per message).
//! Prefixed with `seq_` (`seq_ask`, `seq_tell`), the actor workloads run on the sequential base.
//! Subtract a run with a count of 0 to remove the fixed start-up cost.

use std::time::Duration;

use benches::*;
use thespian::prelude::*;

const LONG: Duration = Duration::from_secs(60);

fn main() {
    let mut args = std::env::args().skip(1);
    let workload = args.next().unwrap_or_else(|| "ping_pong".to_owned());
    // `seq_<workload>`: the same on the sequential base.
    let (sequential, workload) = match workload.strip_prefix("seq_") {
        Some(rest) => (true, rest.to_owned()),
        None => (false, workload),
    };
    let new_system = move || match sequential {
        true => ActorSystem::builder().sequential().build(),
        false => ActorSystem::new(),
    };
    let count: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        match workload.as_str() {
            "ping_pong" => {
                let system = new_system();
                let a = system.create_actor(Player::default()).await.expect("a");
                let b = system.create_actor(Player::default()).await.expect("b");
                a.set_peer(b.clone()).tell().await.expect("peer");
                b.set_peer(a.clone()).tell().await.expect("peer");
                if count > 0 {
                    a.serve(count).timeout(LONG).ask().await.expect("game");
                }
                system.shutdown().await;
            }
            "raw_ping_pong" => {
                if count > 0 {
                    raw_ping_pong(count).await;
                }
            }
            "ask" | "ask_untimed" => {
                let timeout = if workload == "ask" {
                    LONG
                } else {
                    Duration::MAX
                };
                let system = new_system();
                let counter = system.create_actor(Counter::default()).await.expect("c");
                for _ in 0..count {
                    counter.total().timeout(timeout).ask().await.expect("total");
                }
                system.shutdown().await;
            }
            "raw_ask" | "raw_ask_timer" => {
                let timer = (workload == "raw_ask_timer").then(|| arm_a_timer(LONG));
                let tx = spawn_raw_counter();
                for _ in 0..count {
                    raw_total(&tx).await;
                }
                drop(timer);
            }
            "tell" => {
                let system = new_system();
                let counter = system.create_actor(Counter::default()).await.expect("c");
                for n in 0..count {
                    counter.add(n).tell().await.expect("alive");
                }
                counter.total().timeout(LONG).ask().await.expect("total");
                system.shutdown().await;
            }
            "system_tell" => {
                // Thespian's style: the system sends, the message named by its struct.
                let system = new_system();
                let counter = system.create_actor(Counter::default()).await.expect("c");
                for n in 0..count {
                    system.tell(&counter, CounterAdd { n }).await;
                }
                counter.total().timeout(LONG).ask().await.expect("total");
                system.shutdown().await;
            }
            "tell_by_hand" => {
                let system = new_system();
                let counter = system
                    .create_actor(HandCounter::default())
                    .await
                    .expect("c");
                for n in 0..count {
                    counter.tell(HandMessage::Add(n)).await.expect("alive");
                }
                counter.ask(HandMessage::Total, LONG).await.expect("total");
                system.shutdown().await;
            }
            "fan_out" => {
                let system = new_system();
                let mut workers = Vec::new();
                for _ in 0..100 {
                    workers.push(system.create_actor(Worker::default()).await.expect("w"));
                }
                for _ in 0..count / 100 {
                    for w in &workers {
                        w.work(1).tell().await.expect("alive");
                    }
                    // Lets every worker drain and sleep, so each message wakes its worker.
                    tokio::task::yield_now().await;
                }
                for w in &workers {
                    w.seen().timeout(LONG).ask().await.expect("seen");
                }
                system.shutdown().await;
            }
            "raw_fan_out" => {
                let txs: Vec<_> = (0..100).map(|_| spawn_raw_counter()).collect();
                for _ in 0..count / 100 {
                    for tx in &txs {
                        tx.send(RawMessage::Add(1)).expect("alive");
                    }
                    tokio::task::yield_now().await;
                }
                for tx in &txs {
                    raw_total(tx).await;
                }
            }
            "raw_tell" => {
                let tx = spawn_raw_counter();
                for n in 0..count {
                    tx.send(RawMessage::Add(n)).expect("alive");
                }
                raw_total(&tx).await;
            }
            "spawn" => {
                let system = new_system();
                let mut replies = Vec::new();
                for n in 0..count {
                    let w = system.create_actor(Worker::default()).await.expect("w");
                    w.work(n).tell().await.expect("alive");
                    replies.push(w.seen().timeout(LONG).ask());
                }
                for r in replies {
                    r.await.expect("seen");
                }
                system.shutdown().await;
            }
            "raw_spawn" => {
                let replies: Vec<_> = (0..count).map(spawn_raw_counter_and_ask).collect();
                for r in replies {
                    r.await.expect("reply");
                }
            }
            other => eprintln!("unknown workload {other}"),
        }
    });
}
