//! Remote suites: two actor systems on loopback (thespian-net) next to raw tokio TCP with
//! length-prefixed postcard frames through a buffered writer, in the same group; and the same
//! counter in a child process of its own (the process base) and in this process.
//!
//! `cargo bench -p benches --bench remote` (or one suite: `-- '^remote_ask'`).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use benches::{Counter, CounterAddrExt};
use criterion::{criterion_group, Criterion, Throughput};
use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use thespian::prelude::*;
use thespian::Capabilities;
use thespian_net::{Convention, ConventionConfig, NetConfig, NetSystem, Processes};
use tokio::io::BufWriter;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio_util::codec::{FramedRead, FramedWrite, LengthDelimitedCodec};

const TELLS: u64 = 100_000;
const ASKS: u64 = 1_000;
const LONG: Duration = Duration::from_secs(60);

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Two nodes; the counter lives on the first, the returned address is the second's proxy.
async fn thespian_pair() -> (Addr<Counter>, [NetSystem; 2]) {
    let secret = thespian_net::Secret::generate().expect("a secret");
    let config = || NetConfig::new("127.0.0.1:0".parse().expect("addr"), secret.clone());
    let one = ActorSystem::new();
    let net_one = NetSystem::start(&one, config()).await.expect("node one");
    one.create_actor_with(Counter::default(), ActorOptions::new().name("counter"))
        .await
        .expect("counter");
    let two = ActorSystem::builder().default_ask_timeout(LONG).build();
    let net_two = NetSystem::start(&two, config()).await.expect("node two");
    let counter = net_two
        .lookup(net_one.local_addr(), "counter", LONG)
        .await
        .expect("lookup");
    (counter, [net_one, net_two])
}

/// The counter again, serde, to run in a process of its own.
#[derive(Serialize, Deserialize, Default)]
struct ProcCounter {
    total: u64,
}

#[actor]
impl ProcCounter {
    async fn add(&mut self, n: u64) {
        self.total += n;
    }

    async fn total(&self) -> u64 {
        self.total
    }
}

/// A counter in a child process (`own_process`) or in this one, on a system with a process base.
async fn process_counter(own_process: bool) -> (Addr<ProcCounter>, ActorSystem) {
    let system = ActorSystem::builder().default_ask_timeout(LONG).build();
    Processes::start(&system).await.expect("process base");
    let options = match own_process {
        true => ActorOptions::new().in_own_process(),
        false => ActorOptions::new(),
    };
    let counter = system
        .create_actor_with(ProcCounter::default(), options)
        .await
        .expect("counter");
    (counter, system)
}

#[derive(Serialize, Deserialize)]
enum Request {
    Add(u64),
    Total,
}

/// The raw server: sums `Add`s, answers `Total` with the sum.
async fn raw_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        stream.set_nodelay(true).expect("nodelay");
        let (read, write) = stream.into_split();
        let mut frames = FramedRead::new(read, LengthDelimitedCodec::new());
        let mut replies = FramedWrite::new(BufWriter::new(write), LengthDelimitedCodec::new());
        let mut total = 0u64;
        while let Some(Ok(frame)) = frames.next().await {
            match postcard::from_bytes(&frame).expect("request") {
                Request::Add(n) => total += n,
                Request::Total => {
                    let reply = postcard::to_allocvec(&total).expect("reply");
                    replies
                        .send(bytes::Bytes::from(reply))
                        .await
                        .expect("send reply");
                }
            }
        }
    });
    addr
}

/// The raw client: a buffered writer of frames, a reader of replies.
struct RawClient {
    requests: FramedWrite<BufWriter<tokio::net::tcp::OwnedWriteHalf>, LengthDelimitedCodec>,
    replies: FramedRead<tokio::net::tcp::OwnedReadHalf, LengthDelimitedCodec>,
}

impl RawClient {
    async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let (read, write) = stream.into_split();
        RawClient {
            requests: FramedWrite::new(BufWriter::new(write), LengthDelimitedCodec::new()),
            replies: FramedRead::new(read, LengthDelimitedCodec::new()),
        }
    }

    /// Queues a request in the buffered writer (written when the buffer fills or is flushed).
    async fn feed(&mut self, request: &Request) {
        let bytes = postcard::to_allocvec(request).expect("request");
        self.requests
            .feed(bytes::Bytes::from(bytes))
            .await
            .expect("feed");
    }

    async fn total(&mut self) -> u64 {
        self.feed(&Request::Total).await;
        // Flushes the codec's buffer and the buffered writer under it.
        SinkExt::<bytes::Bytes>::flush(&mut self.requests)
            .await
            .expect("flush");
        let frame = self.replies.next().await.expect("reply").expect("frame");
        postcard::from_bytes(&frame).expect("total")
    }
}

fn remote_tell(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("remote_tell");
    group.throughput(Throughput::Elements(TELLS));
    group.sample_size(10);
    let (counter, nets) = rt.block_on(thespian_pair());
    group.bench_function("thespian", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let before = counter.total().ask().await.expect("total");
                    for _ in 0..TELLS {
                        counter.add(1).tell().await.expect("add");
                    }
                    assert_eq!(counter.total().ask().await, Ok(before + TELLS));
                }
                start.elapsed()
            })
        })
    });
    for (name, own_process) in [
        ("thespian_own_process", true),
        ("thespian_in_process", false),
    ] {
        let (counter, system) = rt.block_on(process_counter(own_process));
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let before = counter.total().ask().await.expect("total");
                        for _ in 0..TELLS {
                            counter.add(1).tell().await.expect("add");
                        }
                        assert_eq!(counter.total().ask().await, Ok(before + TELLS));
                    }
                    start.elapsed()
                })
            })
        });
        rt.block_on(system.shutdown());
    }
    let mut raw = rt.block_on(async { RawClient::connect(raw_server().await).await });
    group.bench_function("raw_tcp_postcard", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let before = raw.total().await;
                    for _ in 0..TELLS {
                        raw.feed(&Request::Add(1)).await;
                    }
                    assert_eq!(raw.total().await, before + TELLS);
                }
                start.elapsed()
            })
        })
    });
    group.finish();
    rt.block_on(async {
        for net in nets {
            net.shutdown().await;
        }
    });
}

fn remote_ask(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("remote_ask");
    group.throughput(Throughput::Elements(ASKS));
    group.sample_size(10);
    let (counter, nets) = rt.block_on(thespian_pair());
    group.bench_function("thespian", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters * ASKS {
                    counter.total().ask().await.expect("total");
                }
                start.elapsed()
            })
        })
    });
    for (name, own_process) in [
        ("thespian_own_process", true),
        ("thespian_in_process", false),
    ] {
        let (counter, system) = rt.block_on(process_counter(own_process));
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters * ASKS {
                        counter.total().ask().await.expect("total");
                    }
                    start.elapsed()
                })
            })
        });
        rt.block_on(system.shutdown());
    }
    let mut raw = rt.block_on(async { RawClient::connect(raw_server().await).await });
    group.bench_function("raw_tcp_postcard", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters * ASKS {
                    raw.total().await;
                }
                start.elapsed()
            })
        })
    });
    group.finish();
    rt.block_on(async {
        for net in nets {
            net.shutdown().await;
        }
    });
}

/// Placed by its requirements: runs where every requirement is met by an equal capability.
#[derive(Serialize, Deserialize, Default)]
struct Placed;

#[actor]
impl Placed {
    async fn ping(&self) -> u8 {
        1
    }

    #[capability_check]
    fn meets(capabilities: &Capabilities, requirements: &Capabilities) -> bool {
        requirements
            .iter()
            .all(|(name, value)| capabilities.get(name) == Some(value))
    }
}

/// A leader and a member offering `zone = a`, registered for `Placed`.
async fn convention_pair() -> (Convention, [NetSystem; 2]) {
    let secret = thespian_net::Secret::generate().expect("a secret");
    let config = || NetConfig::new("127.0.0.1:0".parse().expect("addr"), secret.clone());
    let leader_system = ActorSystem::builder().default_ask_timeout(LONG).build();
    let leader_net = NetSystem::start(&leader_system, config())
        .await
        .expect("leader");
    let leader = Convention::join(&leader_net, ConventionConfig::new(leader_net.local_addr()))
        .await
        .expect("lead");
    let member_system = ActorSystem::builder()
        .capabilities(Capabilities::new().with("zone", "a"))
        .build();
    let member_net = NetSystem::start(&member_system, config())
        .await
        .expect("member");
    let member = Convention::join(&member_net, ConventionConfig::new(leader_net.local_addr()))
        .await
        .expect("join");
    member.register::<Placed>();
    while leader.members().len() < 2 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (leader, [leader_net, member_net])
}

fn convention_place(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("convention_place");
    group.sample_size(20);
    let (leader, nets) = rt.block_on(convention_pair());
    let zone_a = Capabilities::new().with("zone", "a");
    // Placing on the member, then one ask to the new actor, then its exit.
    group.bench_function("thespian_place_and_ask", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let placed = leader
                        .create_actor(Placed, zone_a.clone())
                        .await
                        .expect("placed");
                    assert_eq!(placed.ping().ask().await, Ok(1));
                    placed.request_exit();
                }
                start.elapsed()
            })
        })
    });
    // The floor: one request/reply over raw TCP with postcard frames.
    let mut raw = rt.block_on(async { RawClient::connect(raw_server().await).await });
    group.bench_function("raw_tcp_round_trip", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    raw.total().await;
                }
                start.elapsed()
            })
        })
    });
    group.finish();
    rt.block_on(async {
        for net in nets {
            net.shutdown().await;
        }
    });
}

criterion_group!(benches, remote_tell, remote_ask, convention_place);

fn main() {
    // This binary is also the child process of the process-base rows: it serves there.
    thespian_net::process::serve_if_child(|types| {
        types.register::<ProcCounter>();
    });
    benches();
    Criterion::default().configure_from_args().final_summary();
}
