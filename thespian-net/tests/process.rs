//! Across processes: a peer frozen with SIGSTOP is declared down within the configured time, and
//! a parent hears of its children (and a watcher of the actors it watches) on a node whose process
//! is killed or frozen.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use thespian::prelude::*;

const PEER: &str = "THESPIAN_NET_TEST_PEER";
/// Set to the leader's address: the peer process joins its convention, where children may run.
const MEMBER: &str = "THESPIAN_NET_TEST_MEMBER";
/// How long a member of those tests may stay silent before it is lost.
const DOWN_AFTER: Duration = Duration::from_millis(1000);

/// Not a test on its own: run with the environment variable set, it is the peer process.
#[test]
fn peer_process() {
    if std::env::var_os(PEER).is_none() {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (system, net) = node().await;
        system
            .create_actor_with(Counter::new(), ActorOptions::new().name("counter"))
            .await
            .unwrap();
        println!("listening on {}", net.local_addr());
        tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new()))
            .await
            .unwrap()
            .unwrap();
    });
}

/// Not a test on its own: run with `MEMBER` set, it is a convention member whose node takes
/// children, with a counter named "counter".
#[test]
fn member_process() {
    let Some(leader) = std::env::var_os(MEMBER) else {
        return;
    };
    let leader = leader.to_str().unwrap().parse().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let node = common::family::start(Some(leader), true, DOWN_AFTER).await;
        named_counter(&node.system, "counter").await;
        println!("listening on {}", node.net.local_addr());
        tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new()))
            .await
            .unwrap()
            .unwrap();
    });
}

/// Starts this test binary as the process of `test`, with `env` set; its stdin is the way to
/// end it, and the address it prints its listening address.
fn spawn_peer(test: &str, env: (&str, String)) -> (std::process::Child, std::net::SocketAddr) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(env.0, env.1)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (found, address) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let addr = stdout
            .lines()
            .map_while(Result::ok)
            // The harness prints the test's name on the same line first.
            .find_map(|line| line.split("listening on ").nth(1).map(str::to_owned));
        let _ = found.send(addr);
    });
    let addr = address
        .recv_timeout(Duration::from_secs(30))
        .ok()
        .flatten()
        .expect("the peer process starts")
        .parse()
        .unwrap();
    (child, addr)
}

/// Ends a peer process and reaps it: no zombie is left.
fn end(mut child: std::process::Child) {
    drop(child.stdin.take());
    let _ = child.kill();
    child.wait().unwrap();
}

/// A convention of this process (the parent's node) and a member process, with a child placed
/// there and its counter watched.
async fn parent_and_member_process() -> (
    common::family::Node,
    std::process::Child,
    Addr<common::family::Parent>,
    Addr<common::family::Child>,
    Addr<Counter>,
) {
    use common::family::*;
    let home = start(None, false, DOWN_AFTER).await;
    let (member, addr) = spawn_peer(
        "member_process",
        (MEMBER, home.net.local_addr().to_string()),
    );
    eventually("the member joins", || home.convention.members().len() == 2).await;
    let parent = parent_on(&home).await;
    let child = parent
        .place(false)
        .ask()
        .await
        .unwrap()
        .expect("placed in the member");
    assert_eq!(child.work().ask().await, Ok(1));
    let counter: Addr<Counter> = home.net.lookup(addr, "counter", TIMEOUT).await.unwrap();
    assert_eq!(parent.watch_it(counter.address()).ask().await, Ok(true));
    assert_eq!(counter.total().ask().await, Ok(0));
    (home, member, parent, child, counter)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_hears_at_once_that_its_childs_process_was_killed() {
    use common::family::*;
    let (home, member, parent, child, counter) = parent_and_member_process().await;
    signal(member.id(), "-KILL");
    let killed_at = Instant::now();
    let heard = exits(&parent, 1).await;
    let took = killed_at.elapsed();
    let seen = watched(&parent, 1).await;
    let took_watch = killed_at.elapsed();
    end(member);
    eprintln!("killed process: ChildActorExited after {took:?}, the watch after {took_watch:?}");
    assert_eq!(heard, [(child.address(), ExitReason::NodeLost)]);
    assert_eq!(seen, [(counter.address(), ExitReason::NodeLost)]);
    // Within 50 ms on an idle machine; allow for a loaded one.
    assert!(took < Duration::from_millis(500), "{took:?}");
    home.net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_hears_within_the_detection_time_that_its_childs_process_froze() {
    use common::family::*;
    let (home, member, parent, child, counter) = parent_and_member_process().await;
    signal(member.id(), "-STOP");
    let frozen_at = Instant::now();
    let heard = exits(&parent, 1).await;
    let took = frozen_at.elapsed();
    let seen = watched(&parent, 1).await;
    signal(member.id(), "-CONT");
    end(member);
    eprintln!("frozen process: ChildActorExited after {took:?} (down after {DOWN_AFTER:?})");
    assert_eq!(heard, [(child.address(), ExitReason::NodeLost)]);
    assert_eq!(seen, [(counter.address(), ExitReason::NodeLost)]);
    assert!(took <= DOWN_AFTER + Duration::from_millis(300), "{took:?}");
    assert!(took >= DOWN_AFTER / 2, "{took:?}");
    home.net.shutdown().await;
}

fn signal(pid: u32, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    if sig == "-STOP" {
        // Delivered asynchronously: wait until the process is seen stopped ('T').
        let stopped = || {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|stat| stat.split(") ").nth(1).is_some_and(|s| s.starts_with('T')))
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while !stopped() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(stopped(), "process {pid} did not stop");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_peer_process_is_declared_down_within_two_seconds() {
    let (child, addr) = spawn_peer("peer_process", (PEER, "1".to_owned()));
    let (_system, net) = node().await; // default: down after 2 s of silence
    let counter: Addr<Counter> = net.lookup(addr, "counter", TIMEOUT).await.unwrap();
    counter.add(2).tell().await.unwrap();
    assert_eq!(counter.total().ask().await, Ok(2));

    signal(child.id(), "-STOP");
    let frozen_at = Instant::now();
    let answer = counter.total().timeout(Duration::from_secs(30)).ask().await;
    let detected = frozen_at.elapsed();
    signal(child.id(), "-CONT");
    end(child);

    assert!(
        matches!(answer, Err(AskError::Unreachable(_))),
        "{answer:?}"
    );
    assert!(detected <= Duration::from_millis(2200), "{detected:?}");
    assert!(detected >= Duration::from_millis(1000), "{detected:?}");
    net.shutdown().await;
}
