//! Memory per idle actor: resident bytes per actor for 100,000 idle actors, next to 100,000 idle
//! tokio tasks each waiting on an unbounded channel. Criterion does not measure memory, so this
//! prints it: `cargo run --release -p benches --bin idle_memory`.
//!
//! Each measurement runs in a fresh child process so that one cannot reuse the other's memory.

use std::process::Command;

use benches::{spawn_raw_counter, Worker, WorkerAddrExt};
use thespian::ActorSystem;

const COUNT: usize = 100_000;

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn measure(kind: &str) -> f64 {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let system = ActorSystem::new();
        // Warm up the allocator and the runtime so their fixed costs are not counted.
        let warm = system
            .create_actor(Worker::default())
            .await
            .expect("created");
        let _ = warm.seen().await;
        let before = rss_bytes();
        let mut keep_actors = Vec::new();
        let mut keep_raw = Vec::new();
        for _ in 0..COUNT {
            match kind {
                "thespian" => keep_actors.push(
                    system
                        .create_actor(Worker::default())
                        .await
                        .expect("created"),
                ),
                _ => keep_raw.push(spawn_raw_counter()),
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let after = rss_bytes();
        let per = (after.saturating_sub(before)) as f64 / COUNT as f64;
        drop(keep_raw);
        drop(keep_actors);
        system.shutdown().await;
        per
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(kind) = args.get(1) {
        println!("{}", measure(kind));
        return;
    }
    let exe = std::env::current_exe().expect("own path");
    let run = |kind: &str| -> f64 {
        let out = Command::new(&exe).arg(kind).output().expect("child runs");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(f64::NAN)
    };
    let raw = run("raw_tokio");
    let actors = run("thespian");
    println!("idle memory, {COUNT} of each (resident bytes per unit):");
    println!("  raw tokio task + unbounded channel: {raw:.0}");
    println!("  thespian idle actor:                {actors:.0}");
    println!("  ratio: {:.2}", actors / raw);
}
