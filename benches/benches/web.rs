//! The kv web service (`examples/kv.rs`) over HTTP on 127.0.0.1, actor-backed next to the same
//! routes over an `Arc<Mutex<HashMap>>`, in the same run: requests per second at 64 concurrent
//! kept-alive connections (criterion's throughput), then a fixed pass per store that prints
//! requests/s and the latency percentiles (p50, p99, max) to stdout.
//!
//! `cargo bench -p benches --bench web`
//!
//! The clients run in the same 2-worker runtime as the server, as in-process load generators do;
//! both stores pay the same client cost, so the ratio understates the servers' own difference.
//! The workload: 1,024 keys with 16-byte values, 4 reads for every write.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use examples::kv::client::Connection;
use examples::kv::{self, ActorStore, Config};
use thespian::prelude::*;
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

const CONNECTIONS: usize = 64;
const KEYS: usize = 1_024;
/// Requests per store in each round of the latency pass.
const PASS_REQUESTS: usize = 20_000;
const PASS_ROUNDS: usize = 3;

/// One served router and 64 connections to it.
struct Target {
    name: &'static str,
    stop: oneshot::Sender<()>,
    connections: Vec<Connection>,
    /// Requests sent so far: each batch starts where the last one ended, so the keys rotate.
    sent: usize,
}

impl Target {
    async fn start(name: &'static str, app: axum::Router) -> Target {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        tokio::spawn(kv::serve(listener, app, shutdown, Duration::from_secs(5)));
        fill(addr).await;
        let mut connections = Vec::with_capacity(CONNECTIONS);
        for _ in 0..CONNECTIONS {
            connections.push(Connection::open(addr).await.expect("connect"));
        }
        Target {
            name,
            stop,
            connections,
            sent: 0,
        }
    }

    /// Sends `requests` requests spread over the 64 connections, each connection one request
    /// at a time; returns the time they took and, when `latencies` is given, each one's latency.
    async fn batch(
        &mut self,
        requests: usize,
        mut latencies: Option<&mut Vec<Duration>>,
    ) -> Duration {
        let first = self.sent;
        self.sent += requests;
        let record = latencies.is_some();
        let start = Instant::now();
        let tasks: Vec<_> = self
            .connections
            .drain(..)
            .enumerate()
            .map(|(i, mut conn)| {
                let share = requests / CONNECTIONS + usize::from(i < requests % CONNECTIONS);
                tokio::spawn(async move {
                    let mut seen = Vec::with_capacity(if record { share } else { 0 });
                    for n in 0..share {
                        let sent = Instant::now();
                        request(&mut conn, first + n * CONNECTIONS + i).await;
                        if record {
                            seen.push(sent.elapsed());
                        }
                    }
                    (conn, seen)
                })
            })
            .collect();
        for task in tasks {
            let (conn, seen) = task.await.expect("client");
            self.connections.push(conn);
            if let Some(all) = latencies.as_deref_mut() {
                all.extend(seen);
            }
        }
        start.elapsed()
    }
}

fn key(i: usize) -> String {
    format!("key-{:04}", i % KEYS)
}

/// Request number `i`: a write one time in five, else a read, over the keys in a scattered order.
async fn request(conn: &mut Connection, i: usize) {
    let path = format!("/kv/{}", key(i.wrapping_mul(7_919)));
    // (`i % 5` rather than `is_multiple_of`, which is newer than the workspace's Rust 1.85.)
    let (status, expected) = match i % 5 {
        0 => {
            let value = format!("value {i:010}");
            (conn.put(&path, value).await.expect("put").0, 204)
        }
        _ => (conn.get(&path).await.expect("get").0, 200),
    };
    assert_eq!(status.as_u16(), expected, "{path}");
}

async fn fill(addr: SocketAddr) {
    let mut conn = Connection::open(addr).await.expect("connect");
    for i in 0..KEYS {
        let (status, _) = conn
            .put(&format!("/kv/{}", key(i)), "0")
            .await
            .expect("put");
        assert!(status.is_success());
    }
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn web(c: &mut Criterion) {
    let rt = runtime();
    // The actors run on the same 2-worker runtime as the servers and the clients.
    let system = ActorSystem::builder().runtime(rt.handle().clone()).build();
    let mut targets = rt.block_on(async {
        let store = ActorStore::start(&system, &Config::default())
            .await
            .expect("actors");
        vec![
            Target::start("actors", kv::router(store)).await,
            Target::start("mutex", kv::mutex_app()).await,
        ]
    });

    let mut group = c.benchmark_group("web_64_connections");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(1));
    for target in &mut targets {
        group.bench_function(target.name, |b| {
            b.iter_custom(|iters| rt.block_on(target.batch(iters as usize, None)));
        });
    }
    group.finish();

    // The latency pass: the stores take turns, so a slow patch of the machine hits both.
    let mut latencies = vec![Vec::new(); targets.len()];
    let mut elapsed = vec![Duration::ZERO; targets.len()];
    for _ in 0..PASS_ROUNDS {
        for (i, target) in targets.iter_mut().enumerate() {
            elapsed[i] += rt.block_on(target.batch(PASS_REQUESTS, Some(&mut latencies[i])));
        }
    }
    println!("web: {CONNECTIONS} connections, {PASS_ROUNDS} x {PASS_REQUESTS} requests per store");
    let mut throughputs = Vec::new();
    for (i, target) in targets.iter().enumerate() {
        let all = &mut latencies[i];
        all.sort_unstable();
        let per_second = all.len() as f64 / elapsed[i].as_secs_f64();
        throughputs.push(per_second);
        println!(
            "web/{:<7} {:>9.0} requests/s   p50 {:>8.1?}   p99 {:>8.1?}   max {:>8.1?}",
            target.name,
            per_second,
            percentile(all, 0.50),
            percentile(all, 0.99),
            all[all.len() - 1],
        );
    }
    println!(
        "web: mutex/actors throughput = {:.2}",
        throughputs[1] / throughputs[0]
    );

    rt.block_on(async {
        for target in targets {
            let _ = target.stop.send(());
        }
        system.shutdown().await;
    });
}

criterion_group!(benches, web);
criterion_main!(benches);
