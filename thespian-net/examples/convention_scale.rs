//! A convention of many nodes on 127.0.0.1, measured: how long every node takes to see a join
//! and a death, the membership traffic per node at rest, placements per second from one node,
//! and memory per node. All nodes run in this process (one actor system and network system
//! each, on one tokio runtime), talking over loopback TCP like separate machines would.
//!
//! ```text
//! $ cargo run --release -p thespian-net --example convention_scale -- --nodes 64
//! nodes: 64 (one process; default timing: heartbeat 300 ms, member timeout 0.9 s)
//! formed: every node saw all 64 in 1.3 s (149 membership frames sent per node, 0 live nodes declared down meanwhile)
//! join seen: p50 0.17 s, max 0.27 s
//! death (process gone) seen: p50 0.06 s, max 0.06 s
//! death (silent node) seen: p50 1.96 s, max 2.17 s
//! membership traffic at rest: 638 B/s per node (7.1 frames/s); heartbeats 0.0/s, connections opened 0.0 per node in 5s
//! placements from one node: 9020/s (0 failed)
//! memory: 883 KiB per node
//! live nodes declared down: 0
//! ```
//!
//! (Figures from one run; see BENCHMARKS.md.) `--silent K` silences K nodes one after another
//! (the line then also gives the range of "seen everywhere" over them). With `--processes P`
//! the nodes are spread over this process and `P - 1` copies of it (a process holds a socket
//! per connection, and every node ends up connected to every other: 128 nodes in one process
//! need 16,000 of them); the figures are then as the nodes of this process see them.

use std::error::Error;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use thespian::prelude::*;
use thespian::Capabilities;
use thespian_net::{Convention, ConventionConfig, NetConfig, NetSystem, Placement, Secret};

/// A placed actor: does nothing but exist.
#[derive(Serialize, Deserialize, Default)]
struct Worker;

#[actor]
impl Worker {
    async fn ping(&self) {}
}

struct Node {
    system: ActorSystem,
    net: NetSystem,
    convention: Convention,
}

async fn node(secret: &Secret, seed: Option<std::net::SocketAddr>, zone: usize) -> Node {
    let system = ActorSystem::builder()
        .capabilities(Capabilities::new().with("zone", zone as i64))
        .build();
    let net = NetSystem::start(
        &system,
        NetConfig::new("127.0.0.1:0".parse().expect("an address"), secret.clone()),
    )
    .await
    .expect("a node starts");
    let seed = seed.unwrap_or(net.local_addr());
    let convention = Convention::join(&net, ConventionConfig::new(seed))
        .await
        .expect("a node joins");
    convention.register::<Worker>();
    Node {
        system,
        net,
        convention,
    }
}

/// Whether `node` counts `other` among the members.
fn knows(node: &Node, other: thespian::remote::NodeId) -> bool {
    node.convention.members().iter().any(|m| m.node == other)
}

/// The resident memory of this process, in bytes (Linux; 0 elsewhere).
fn resident() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Waits until `done(node)` holds for every node; returns when each first held (from `start`).
async fn seen_by_all(
    nodes: &[&Node],
    start: Instant,
    limit: Duration,
    done: impl Fn(&Node) -> bool,
) -> Result<Vec<Duration>, String> {
    let mut when: Vec<Option<Duration>> = vec![None; nodes.len()];
    while when.iter().any(Option::is_none) {
        if start.elapsed() > limit {
            let missing = when.iter().filter(|w| w.is_none()).count();
            let mut sizes: Vec<usize> =
                nodes.iter().map(|n| n.convention.members().len()).collect();
            sizes.sort();
            return Err(format!(
                "{missing} nodes did not see it within {limit:?} (members seen: min {}, median {}, max {})",
                sizes[0],
                sizes[sizes.len() / 2],
                sizes[sizes.len() - 1]
            ));
        }
        for (i, node) in nodes.iter().enumerate() {
            if when[i].is_none() && done(node) {
                when[i] = Some(start.elapsed());
            }
        }
        // Not too often: every look copies a node's table, on the runtime the nodes share.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut when: Vec<Duration> = when.into_iter().flatten().collect();
    when.sort();
    Ok(when)
}

fn p50_max(times: &[Duration]) -> String {
    format!(
        "p50 {:.2} s, max {:.2} s",
        times[times.len() / 2].as_secs_f64(),
        times[times.len() - 1].as_secs_f64()
    )
}

/// The time between two nodes' starts in one process.
const STAGGER: Duration = Duration::from_millis(10);

/// Where child processes find the secret of the run.
const SECRET_VAR: &str = "THESPIAN_SECRET";

/// The command line: `--nodes N [--processes P] [--silent K]`, or a child's
/// `child <seed> <count> <zone>`.
enum Args {
    Measure {
        nodes: usize,
        processes: usize,
        /// How many nodes fall silent, one after another (more samples of the slowest case).
        silent: usize,
    },
    Child {
        seed: std::net::SocketAddr,
        count: usize,
        zone: usize,
    },
}

fn args() -> Result<Args, Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (mut nodes, mut processes, mut silent) = (16, 1, 1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "child" => {
                let mut next = || args.next().ok_or("child <seed> <count> <zone>");
                return Ok(Args::Child {
                    seed: next()?.parse()?,
                    count: next()?.parse()?,
                    zone: next()?.parse()?,
                });
            }
            "--nodes" => nodes = args.next().ok_or("--nodes takes a number")?.parse()?,
            "--processes" => {
                processes = args.next().ok_or("--processes takes a number")?.parse()?
            }
            "--silent" => silent = args.next().ok_or("--silent takes a number")?.parse()?,
            other => return Err(format!("unknown argument {other:?} (try --nodes 64)").into()),
        }
    }
    if nodes < 3 * processes {
        return Err("--nodes must be at least 3 per process".into());
    }
    if silent == 0 || silent + 2 > nodes / processes {
        return Err("--silent must leave at least two nodes of this process alive".into());
    }
    Ok(Args::Measure {
        nodes,
        processes,
        silent,
    })
}

/// A child process: `count` nodes joining through `seed`, until its standard input closes.
async fn child(
    seed: std::net::SocketAddr,
    count: usize,
    zone: usize,
) -> Result<(), Box<dyn Error>> {
    let secret = Secret::from_env(SECRET_VAR)?;
    let mut nodes = Vec::new();
    for i in 0..count {
        nodes.push(node(&secret, Some(seed), zone + i).await);
        // Nodes come up one after another, as machines do (not 128 handshakes at one instant
        // on two cores).
        tokio::time::sleep(STAGGER).await;
    }
    println!("ready");
    tokio::task::spawn_blocking(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
    })
    .await?;
    for node in nodes {
        node.net.shutdown().await;
    }
    Ok(())
}

/// Starts a child process hosting `count` nodes; returns once they are started.
fn spawn_child(
    secret: &Secret,
    seed: std::net::SocketAddr,
    count: usize,
    zone: usize,
) -> Result<Child, Box<dyn Error>> {
    let mut child = Command::new(std::env::current_exe()?)
        .args([
            "child",
            &seed.to_string(),
            &count.to_string(),
            &zone.to_string(),
        ])
        .env(SECRET_VAR, secret.to_hex())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    if line.trim() != "ready" {
        return Err(format!("a child process said {line:?}").into());
    }
    Ok(child)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // `RUST_LOG=thespian_net=debug` shows why connections end, on standard error.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let (n, processes, silent_count) = match args()? {
        Args::Child { seed, count, zone } => return child(seed, count, zone).await,
        Args::Measure {
            nodes,
            processes,
            silent,
        } => (nodes, processes, silent),
    };
    let secret = Secret::generate()?;
    let here = n / processes + n % processes;
    let place = if processes == 1 {
        "one process".to_owned()
    } else {
        format!("{processes} processes, figures as the {here} nodes of this one see them")
    };
    println!("nodes: {n} ({place}; default timing: heartbeat 300 ms, member timeout 0.9 s)");

    let before = resident();
    let started = Instant::now();
    let mut nodes = vec![node(&secret, None, 0).await];
    let seed = nodes[0].net.local_addr();
    for zone in 1..here {
        nodes.push(node(&secret, Some(seed), zone).await);
        tokio::time::sleep(STAGGER).await;
    }
    let mut children = Vec::new();
    for p in 1..processes {
        let count = n / processes;
        children.push(spawn_child(&secret, seed, count, here + (p - 1) * count)?);
    }
    let all: Vec<&Node> = nodes.iter().collect();
    let formed = match seen_by_all(&all, started, Duration::from_secs(60), |node| {
        node.convention.members().len() == n
    })
    .await
    {
        Ok(f) => f,
        Err(e) => {
            // Who is missing where: the members each node of this process lists.
            for node in &nodes {
                let members = node.convention.members();
                let listed: Vec<String> = members.iter().map(|m| m.node.to_string()).collect();
                eprintln!("{} lists {}", node.net.node(), listed.join(" "));
            }
            return Err(e.into());
        }
    };
    let formation: u64 = nodes
        .iter()
        .map(|node| node.convention.membership_traffic().frames)
        .sum();
    let declared_down = |nodes: &mut dyn Iterator<Item = &Node>| -> u64 {
        nodes
            .map(|node| node.convention.membership_traffic().declared_down)
            .sum()
    };
    println!(
        "formed: every node saw all {n} in {:.1} s ({} membership frames sent per node, \
         {} live nodes declared down meanwhile)",
        formed[formed.len() - 1].as_secs_f64(),
        formation / here as u64,
        declared_down(&mut nodes.iter()),
    );
    let memory = resident().saturating_sub(before) / here as u64;

    // At rest: what the membership sends, per node, over a few seconds.
    // Besides the membership's own frames: heartbeats (none between members that SWIM
    // watches) and connections opened (none once every pair has met).
    let traffic = |nodes: &[Node]| {
        nodes.iter().fold([0; 4], |[f, b, h, c], node| {
            let t = node.convention.membership_traffic();
            let s = node.net.stats();
            [
                f + t.frames,
                b + t.bytes,
                h + s.heartbeats,
                c + s.connections,
            ]
        })
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before_rest = traffic(&nodes);
    let rest = Duration::from_secs(5);
    tokio::time::sleep(rest).await;
    let after_rest = traffic(&nodes);
    let per_node = |i: usize| (after_rest[i] - before_rest[i]) as f64 / here as f64;
    let per_second = |i: usize| per_node(i) / rest.as_secs_f64();

    // A join: one more node, through the seed.
    let joined_at = Instant::now();
    let newcomer = node(&secret, Some(seed), n).await;
    let newcomer_node = newcomer.net.node();
    let join = seen_by_all(&all, joined_at, Duration::from_secs(30), |node| {
        knows(node, newcomer_node)
    })
    .await?;
    println!("join seen: {}", p50_max(&join));

    // A death: the newcomer's process is gone (its connections close).
    let gone_at = Instant::now();
    newcomer.net.shutdown().await;
    newcomer.system.shutdown().await;
    let death = seen_by_all(&all, gone_at, Duration::from_secs(30), |node| {
        !knows(node, newcomer_node)
    })
    .await?;
    println!("death (process gone) seen: {}", p50_max(&death));

    // Silent nodes, one after another: each one's agent stops (it answers no probe; its
    // connections stay open), so only SWIM can find it out.
    let mut silenced = Vec::new();
    let mut silence = Vec::new();
    let mut worst = Vec::new();
    for _ in 0..silent_count {
        let silent = nodes.pop().expect("nodes");
        let silent_node = silent.net.node();
        let agent = silent
            .system
            .named_address("thespian.convention.agent")
            .ok_or("no agent")?;
        let silent_at = Instant::now();
        agent.request_exit();
        let rest_of: Vec<&Node> = nodes.iter().collect();
        let seen = seen_by_all(&rest_of, silent_at, Duration::from_secs(30), |node| {
            !knows(node, silent_node)
        })
        .await?;
        worst.push(seen[seen.len() - 1]);
        silence.extend(seen);
        silenced.push(silent);
    }
    silence.sort();
    if silent_count == 1 {
        println!("death (silent node) seen: {}", p50_max(&silence));
    } else {
        let late = worst
            .iter()
            .filter(|w| **w > Duration::from_secs(3))
            .count();
        worst.sort();
        println!(
            "death (silent node) seen: {} ({silent_count} nodes, one at a time; seen everywhere \
             within {:.2}–{:.2} s, over 3 s for {late})",
            p50_max(&silence),
            worst[0].as_secs_f64(),
            worst[worst.len() - 1].as_secs_f64()
        );
    }

    println!(
        "membership traffic at rest: {:.0} B/s per node ({:.1} frames/s); heartbeats {:.1}/s, \
         connections opened {:.1} per node in {rest:?}",
        per_second(1),
        per_second(0),
        per_second(2),
        per_node(3),
    );

    // Placements from one node, onto any other (least loaded first), for two seconds.
    let placer = &nodes[1];
    let window = Duration::from_secs(2);
    let placing = Instant::now();
    let (mut placed, mut failed) = (0u64, 0u64);
    while placing.elapsed() < window {
        match placer
            .convention
            .create_actor_with(Worker, Placement::new())
            .await
        {
            Ok(_) => placed += 1,
            Err(e) => {
                if failed == 0 {
                    eprintln!("first failed placement: {e}");
                }
                failed += 1
            }
        }
    }
    println!(
        "placements from one node: {:.0}/s ({failed} failed)",
        placed as f64 / placing.elapsed().as_secs_f64()
    );
    println!("memory: {} KiB per node", memory / 1024);
    let false_deaths = declared_down(&mut nodes.iter().chain(&silenced));
    println!("live nodes declared down: {false_deaths}");
    for node in nodes {
        node.net.shutdown().await;
    }
    for silent in silenced {
        silent.net.shutdown().await;
    }
    for mut child in children {
        drop(child.stdin.take());
        let _ = child.wait();
    }
    Ok(())
}
