//! Memory per idle actor: resident bytes per actor for 100,000 idle actors, next to 100,000 idle
//! tokio tasks each waiting on an unbounded channel; then the same once each has received one
//! message (its mailbox's queue allocated). Criterion does not measure memory, so this prints it:
//! `cargo run --release -p benches --bin idle_memory`.
//!
//! Each measurement runs in a fresh child process so that one cannot reuse the other's memory.
//! With glibc's allocator it also prints where the bytes are, from `mallinfo2`: in use by live
//! allocations of the main heap (chunk headers included), free in that heap (gaps no later
//! allocation fitted), and in blocks mapped apart (the large tables).

use std::process::Command;

use benches::{spawn_raw_counter, RawMessage, Worker, WorkerAddrExt};
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

/// The main heap's bytes: in use, free, and mapped apart.
#[derive(Clone, Copy, Default)]
struct Heap {
    in_use: usize,
    free: usize,
    mapped: usize,
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn heap() -> Option<Heap> {
    /// glibc's `struct mallinfo2` (2.33 and later), field for field.
    #[repr(C)]
    struct MallInfo2 {
        arena: usize,
        ordblks: usize,
        smblks: usize,
        hblks: usize,
        hblkhd: usize,
        usmblks: usize,
        fsmblks: usize,
        uordblks: usize,
        fordblks: usize,
        keepcost: usize,
    }
    extern "C" {
        fn mallinfo2() -> MallInfo2;
    }
    // SAFETY: `mallinfo2` takes nothing, returns the struct by value and only reads the
    // allocator's counters under its own lock.
    let info = unsafe { mallinfo2() };
    Some(Heap {
        in_use: info.uordblks,
        free: info.fordblks,
        mapped: info.hblkhd,
    })
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn heap() -> Option<Heap> {
    None
}

/// Resident bytes per unit, then (with glibc) the heap's bytes per unit.
fn measure(kind: &str) -> (f64, Option<[f64; 3]>) {
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
        let _ = warm.seen().ask().await;
        let heap_before = heap();
        let before = rss_bytes();
        let mut keep_actors = Vec::new();
        let mut keep_raw = Vec::new();
        for _ in 0..COUNT {
            match kind {
                "thespian" | "thespian_told" => {
                    let actor = system
                        .create_actor(Worker::default())
                        .await
                        .expect("created");
                    if kind == "thespian_told" {
                        actor.work(1).tell().await.expect("alive");
                    }
                    keep_actors.push(actor);
                }
                _ => {
                    let tx = spawn_raw_counter();
                    if kind == "raw_tokio_told" {
                        tx.send(RawMessage::Add(1)).expect("alive");
                    }
                    keep_raw.push(tx);
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let after = rss_bytes();
        let per_unit =
            |after: usize, before: usize| after.saturating_sub(before) as f64 / COUNT as f64;
        let per = per_unit(after, before);
        let heap = heap_before.zip(heap()).map(|(b, a)| {
            [
                per_unit(a.in_use, b.in_use),
                per_unit(a.free, b.free),
                per_unit(a.mapped, b.mapped),
            ]
        });
        drop(keep_raw);
        drop(keep_actors);
        system.shutdown().await;
        (per, heap)
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(kind) = args.get(1) {
        let (per, heap) = measure(kind);
        let [in_use, free, mapped] = heap.unwrap_or([f64::NAN; 3]);
        println!("{per} {in_use} {free} {mapped}");
        return;
    }
    let exe = std::env::current_exe().expect("own path");
    let run = |kind: &str| -> Vec<f64> {
        let out = Command::new(&exe).arg(kind).output().expect("child runs");
        let figures: Vec<f64> = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(|f| f.parse().unwrap_or(f64::NAN))
            .collect();
        if figures.len() == 4 {
            figures
        } else {
            vec![f64::NAN; 4]
        }
    };
    let raw = run("raw_tokio");
    let actors = run("thespian");
    let raw_told = run("raw_tokio_told");
    let actors_told = run("thespian_told");
    println!("memory, {COUNT} of each (bytes per unit):");
    println!(
        "                                          resident  heap in use  heap free  mapped apart"
    );
    for (name, f) in [
        ("raw tokio task + unbounded channel", &raw),
        ("thespian idle actor", &actors),
        ("the raw task, after one message", &raw_told),
        ("the actor, after one message", &actors_told),
    ] {
        println!(
            "  {name:<39} {:>8.0} {:>12.1} {:>10.1} {:>13.1}",
            f[0], f[1], f[2], f[3]
        );
    }
    println!("  ratio (resident), idle: {:.2}", actors[0] / raw[0]);
    println!(
        "  ratio (resident), after one message: {:.2}",
        actors_told[0] / raw_told[0]
    );
}
