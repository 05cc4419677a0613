//! Across processes: a peer frozen with SIGSTOP is declared down within the configured time.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use thespian::prelude::*;

const PEER: &str = "THESPIAN_NET_TEST_PEER";

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

fn signal(pid: u32, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_peer_process_is_declared_down_within_two_seconds() {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["peer_process", "--exact", "--nocapture", "--test-threads=1"])
        .env(PEER, "1")
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

    let (_system, net) = node().await; // default: down after 2 s of silence
    let counter: Addr<Counter> = net.lookup(addr, "counter", TIMEOUT).await.unwrap();
    counter.add(2).await.unwrap();
    assert_eq!(counter.total().await, Ok(2));

    signal(child.id(), "-STOP");
    let frozen_at = Instant::now();
    let answer = counter.timeout(Duration::from_secs(30)).total().await;
    let detected = frozen_at.elapsed();
    signal(child.id(), "-CONT");
    drop(child.stdin.take());
    let _ = child.kill();
    let _ = child.wait();

    assert!(
        matches!(answer, Err(AskError::Unreachable(_))),
        "{answer:?}"
    );
    assert!(detected <= Duration::from_millis(2200), "{detected:?}");
    assert!(detected >= Duration::from_millis(1000), "{detected:?}");
    net.shutdown().await;
}
