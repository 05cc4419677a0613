//! Unauthenticated peers cannot shut the door: while a thousand idle or slow connections are held
//! open against a node, a new legitimate peer gets in within a second, established links are not
//! affected, and refused connections cannot flood the log.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use thespian::prelude::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// How many hostile connections this process can hold, both ends being in it: 1,000, or fewer
/// under a low open-files limit.
fn hostile_connections() -> usize {
    let soft = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            limits
                .lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3).map(str::to_owned))
        })
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(1024);
    1000.min(soft.saturating_sub(256) / 2)
}

/// Counts the warnings of `thespian_net`.
struct Count(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Count {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let meta = event.metadata();
        if *meta.level() == tracing::Level::WARN && meta.target() == "thespian_net" {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The two tests load the machine in ways that would disturb each other's timing: one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn count_warnings() -> Arc<AtomicUsize> {
    use tracing_subscriber::layer::SubscriberExt;
    static COUNT: std::sync::OnceLock<Arc<AtomicUsize>> = std::sync::OnceLock::new();
    COUNT
        .get_or_init(|| {
            let count = Arc::new(AtomicUsize::new(0));
            let subscriber = tracing_subscriber::registry().with(Count(count.clone()));
            tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
            count
        })
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_peer_gets_in_while_a_thousand_connections_hold_the_door() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let (one, net_one) = node().await;
    let local = named_counter(&one, "counter").await;
    // An established link, used throughout.
    let (_two, net_two) = node().await;
    let established: Addr<Counter> = net_two
        .lookup(net_one.local_addr(), "counter", TIMEOUT)
        .await
        .unwrap();
    established.add(1).tell().await.unwrap();
    let n = hostile_connections();
    // Half idle, half slowloris (a byte every 300 ms), all from 127.0.0.1.
    let mut idle = Vec::new();
    let mut slow = Vec::new();
    for i in 0..n {
        let Ok(stream) = TcpStream::connect(net_one.local_addr()).await else {
            continue;
        };
        if i % 2 == 0 {
            idle.push(stream);
        } else {
            slow.push(tokio::spawn(async move {
                let mut stream = stream;
                for _ in 0..10 {
                    if stream.write_all(&[0]).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
            }));
        }
    }
    assert!(established.add(1).tell().await.is_ok());
    // A new legitimate peer.
    let started = Instant::now();
    let (_three, net_three) = node().await;
    let newcomer: Addr<Counter> = net_three
        .lookup(net_one.local_addr(), "counter", Duration::from_secs(1))
        .await
        .expect("the new peer got in");
    newcomer.add(1).tell().await.unwrap();
    let took = started.elapsed();
    eprintln!("{n} hostile connections: a new peer connected and was served in {took:?}");
    assert!(took < Duration::from_secs(1), "{took:?}");
    // The established link was never affected: its messages and the newcomer's all arrive.
    let deadline = Instant::now() + TIMEOUT;
    while local.total().ask().await != Ok(3) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(local.total().ask().await, Ok(3));
    assert_eq!(established.total().ask().await, Ok(3));
    drop(idle);
    for task in slow {
        task.abort();
    }
    net_three.shutdown().await;
    net_two.shutdown().await;
    net_one.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_refused_connections_write_a_handful_of_log_lines() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let warnings = count_warnings();
    let (_one, net_one) = node().await;
    let before = warnings.load(Ordering::Relaxed);
    // Garbage instead of a hello: each is refused at once. In batches, to bound open files.
    let addr = net_one.local_addr();
    for _ in 0..100 {
        let batch: Vec<_> = (0..100)
            .map(|_| {
                tokio::spawn(async move {
                    if let Ok(mut stream) = TcpStream::connect(addr).await {
                        let _ = stream.write_all(&[0, 0, 0, 4, 1, 2, 3, 4]).await;
                        let mut buf = [0u8; 16];
                        let _ = tokio::time::timeout(
                            Duration::from_secs(2),
                            tokio::io::AsyncReadExt::read(&mut stream, &mut buf),
                        )
                        .await;
                    }
                })
            })
            .collect();
        for task in batch {
            let _ = task.await;
        }
    }
    let lines = warnings.load(Ordering::Relaxed) - before;
    eprintln!("10,000 refused connections: {lines} warning lines");
    assert!(lines <= 20, "{lines} lines");
    net_one.shutdown().await;
}
