//! Troupes: one address in front of a pool of identical workers. A job sent to the troupe goes to
//! an idle worker; while none is idle the troupe adds one, up to `max_count`, and past that the
//! jobs wait in order. Each worker answers the original asker directly, so the caller asks the
//! troupe as it would one actor, and gets its answers in the order it asked.
//!
//! Here every job waits at a barrier until four jobs are in progress at once: a single actor,
//! handling one message at a time, would wait there forever; a troupe of four gets through.
//!
//! ```text
//! $ cargo run --example troupes
//! thumbnail widths: [50, 100, 150, 200, 250, 300, 350, 400]
//! jobs in progress at once, at most: 4
//! ```

use std::error::Error;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use thespian::prelude::*;
use thespian::TroupeOptions;
use tokio::sync::Barrier;

const WORKERS: u32 = 4;

/// What the workers share, to show what they do at the same time.
#[derive(Default)]
struct Gauge {
    running: AtomicUsize,
    peak: AtomicUsize,
}

/// A worker: makes thumbnails. The troupe makes as many as it needs with a factory.
struct Resizer {
    gauge: Arc<Gauge>,
    /// Lets a job finish only when `WORKERS` jobs are in progress together.
    together: Arc<Barrier>,
}

#[actor]
impl Resizer {
    async fn resize(&mut self, width: u32) -> u32 {
        let now = self.gauge.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.gauge.peak.fetch_max(now, Ordering::SeqCst);
        self.together.wait().await; // stands for slow work
        self.gauge.running.fetch_sub(1, Ordering::SeqCst);
        width / 2
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let system = ActorSystem::new();
    let gauge = Arc::new(Gauge::default());
    let together = Arc::new(Barrier::new(WORKERS as usize));
    let factory = {
        let gauge = gauge.clone();
        move || Resizer {
            gauge: gauge.clone(),
            together: together.clone(),
        }
    };
    let options = TroupeOptions::new().max_count(WORKERS).idle_count(1);
    let troupe = system.create_troupe(factory, options).await?;

    // Every ask is sent when it is made: eight jobs, four run at once, the rest wait their turn.
    let jobs: Vec<_> = (1..=8).map(|n| troupe.resize(n * 100).ask()).collect();
    let mut widths = Vec::new();
    for job in jobs {
        widths.push(job.await?);
    }
    println!("thumbnail widths: {widths:?}");
    // At most `max_count` workers, each handling one job at a time; and the barrier needed four.
    println!(
        "jobs in progress at once, at most: {}",
        gauge.peak.load(Ordering::SeqCst)
    );
    system.shutdown().await;
    Ok(())
}
