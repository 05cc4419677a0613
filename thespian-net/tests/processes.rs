//! The process base: an actor in a process of its own crashes alone (abort, stack overflow, a
//! null pointer written, SIGKILL), its parent hears how, a restart brings it back in a fresh
//! process under the same address, and no child process outlives the test or is left a zombie.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use thespian::prelude::*;
use thespian::{ActorOptions, Supervision};
use thespian_net::process::serve_if_child;
use thespian_net::{ProcessConfig, Processes};

const TIMEOUT: Duration = Duration::from_secs(10);

/// Runs in a child process; fails in every way a process can.
#[derive(Serialize, Deserialize, Default)]
struct Fragile {
    count: u64,
}

#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let frame = std::hint::black_box([depth; 512]);
    if depth == u64::MAX {
        return frame[0];
    }
    recurse(depth + 1).wrapping_add(frame[7])
}

#[actor]
impl Fragile {
    async fn add(&mut self) -> u64 {
        self.count += 1;
        self.count
    }

    async fn pid(&self) -> u32 {
        std::process::id()
    }

    async fn abort(&self) -> u64 {
        std::process::abort()
    }

    async fn overflow(&self) -> u64 {
        recurse(0)
    }

    async fn write_null(&self) -> u64 {
        // SAFETY: none: this crashes the process on purpose, which is what is tested.
        unsafe { std::ptr::null_mut::<u64>().write_volatile(7) };
        0
    }

    async fn panic(&self) -> u64 {
        panic!("a handler panicked")
    }
}

/// Not a test on its own: the entry point of the child processes this file starts.
#[test]
fn child_process() {
    serve_if_child(|types| {
        types.register::<Fragile>();
    });
}

/// Creates a `Fragile` in a process of its own (options as given), and records its end.
struct Parent {
    exits: Vec<ExitReason>,
}

#[actor]
impl Parent {
    async fn make(&mut self, restart: bool, ctx: &mut Context<Self>) -> Option<Addr<Fragile>> {
        let options = match restart {
            true => ActorOptions::new()
                .in_own_process()
                .supervision(Supervision::restart(Fragile::default).at_most(10, TIMEOUT)),
            false => ActorOptions::new().in_own_process(),
        };
        ctx.create_actor_with(Fragile::default(), options)
            .await
            .ok()
    }

    async fn exits(&self) -> Vec<ExitReason> {
        self.exits.clone()
    }

    #[child_exited]
    async fn on_child(&mut self, exited: ChildActorExited) {
        self.exits.push(exited.reason);
    }
}

async fn base() -> (ActorSystem, Processes, Addr<Parent>) {
    let system = ActorSystem::builder().default_ask_timeout(TIMEOUT).build();
    let config = ProcessConfig::new().args([
        "child_process",
        "--exact",
        "--nocapture",
        "--test-threads=1",
    ]);
    let processes = Processes::start_with(&system, config).await.unwrap();
    let parent = system
        .create_actor(Parent { exits: Vec::new() })
        .await
        .unwrap();
    (system, processes, parent)
}

/// What the parent heard, once it heard something.
async fn heard(parent: &Addr<Parent>) -> Vec<ExitReason> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let exits = parent.exits().ask().await.unwrap();
        if !exits.is_empty() || Instant::now() > deadline {
            return exits;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The first answer to `ask` (asked again while it fails).
async fn answered<F, T>(ask: impl Fn() -> F) -> T
where
    F: std::future::IntoFuture<Output = Result<T, AskError>>,
{
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match ask().await {
            Ok(answer) => return answer,
            Err(e) if Instant::now() > deadline => panic!("no answer: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

/// Whether process `pid` is gone: ended and reaped (a zombie still has its entry).
fn gone(pid: u32) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

async fn until_gone(pid: u32) {
    let deadline = Instant::now() + TIMEOUT;
    while !gone(pid) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(gone(pid), "process {pid} is still there (or a zombie)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_actor_in_its_own_process_works_like_any_actor_and_exits_with_it() {
    let (system, processes, parent) = base().await;
    let fragile = parent.make(false).ask().await.unwrap().expect("created");
    let pid = fragile.pid().ask().await;
    if pid.is_err() {
        eprintln!("DEBUG exits {:?}", heard(&parent).await);
    }
    let pid = pid.unwrap();
    assert_ne!(pid, std::process::id());
    assert_eq!(fragile.add().ask().await, Ok(1));
    fragile.add().ask().await.unwrap();
    assert_eq!(fragile.add().ask().await, Ok(3));
    // A handler that panics in the process poisons its ask, as anywhere (`Resume`).
    assert!(matches!(
        fragile.panic().ask().await,
        Err(AskError::Poisoned(_))
    ));
    assert_eq!(fragile.add().ask().await, Ok(4));
    assert_eq!(processes.running().len(), 1);
    assert_eq!(processes.running()[0].pid, pid);
    fragile.request_exit();
    assert_eq!(heard(&parent).await, [ExitReason::Requested]);
    until_gone(pid).await;
    assert!(processes.running().is_empty());
    system.shutdown().await;
}

/// Crashes the child in `how`, and checks what the parent heard and that the rest goes on.
async fn crash(how: &str, expected: &[&str]) {
    let (system, processes, parent) = base().await;
    let fragile = parent.make(false).ask().await.unwrap().expect("created");
    let pid = fragile.pid().ask().await.unwrap();
    let crashed_at = Instant::now();
    let asked = match how {
        "abort" => fragile.abort().ask().await,
        "overflow" => fragile.overflow().ask().await,
        "null" => fragile.write_null().ask().await,
        "kill" => {
            let killed = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            assert!(killed.unwrap().success());
            fragile.add().ask().await
        }
        _ => unreachable!(),
    };
    // The ask waiting on the dead process fails at once, not at its timeout (one sent after
    // the stand-in noticed the crash finds the actor gone).
    assert!(
        matches!(asked, Err(AskError::Unreachable(_) | AskError::DeadActor)),
        "{asked:?}"
    );
    assert!(crashed_at.elapsed() < Duration::from_secs(2));
    let exits = heard(&parent).await;
    assert_eq!(exits.len(), 1, "{exits:?}");
    let ExitReason::ProcessEnded(details) = &exits[0] else {
        panic!("{how}: {exits:?}");
    };
    assert!(
        expected.iter().any(|e| details.contains(e)),
        "{how}: {details}"
    );
    // The program and its other actors go on.
    assert_eq!(parent.exits().ask().await.unwrap().len(), 1);
    assert!(fragile.add().ask().await.is_err());
    until_gone(pid).await;
    assert!(processes.running().is_empty());
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abort_ends_only_its_process() {
    crash("abort", &["signal 6 (SIGABRT)"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stack_overflow_ends_only_its_process() {
    // Rust reports the overflow and aborts; without its handler it would be SIGSEGV.
    crash("overflow", &["signal 6 (SIGABRT)", "signal 11 (SIGSEGV)"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_null_pointer_write_ends_only_its_process() {
    crash("null", &["signal 11 (SIGSEGV)"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_process_ends_only_its_actor() {
    crash("kill", &["signal 9 (SIGKILL)"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarting_supervisor_brings_the_actor_back_in_a_fresh_process() {
    let (system, processes, parent) = base().await;
    let fragile = parent.make(true).ask().await.unwrap().expect("created");
    let first = fragile.pid().ask().await.unwrap();
    assert_eq!(fragile.add().ask().await, Ok(1));
    assert_eq!(fragile.add().ask().await, Ok(2));
    let mut pid = first;
    for _ in 0..3 {
        assert!(fragile.abort().ask().await.is_err());
        until_gone(pid).await;
        // Asks that reach the stand-in before it noticed the crash fail like asks to a lost
        // node; once it has, they wait for the fresh process.
        pid = answered(|| fragile.pid().ask()).await;
    }
    // The same address answers from a fresh process, with a fresh actor.
    let now = pid;
    assert_ne!(now, first);
    assert_eq!(fragile.add().ask().await, Ok(1));
    assert_eq!(parent.exits().ask().await, Ok(vec![]));
    assert_eq!(system.status(TIMEOUT).await.restarts, 3);
    // A panic is a failure too: under a restart policy, the actor restarts in a fresh process.
    assert!(fragile.panic().ask().await.is_err());
    until_gone(now).await;
    let after = answered(|| fragile.pid().ask()).await;
    assert_ne!(after, now);
    assert_eq!(processes.running().len(), 1);
    system.shutdown().await;
    until_gone(processes.running().first().map_or(now, |p| p.pid)).await;
}

const PROGRAM: &str = "THESPIAN_NET_TEST_PROGRAM";

/// Not a test on its own: with `PROGRAM` set, a program that runs an actor in a child process,
/// prints the child's process id and waits to be killed.
#[test]
fn program_process() {
    if std::env::var_os(PROGRAM).is_none() {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (_system, _processes, parent) = base().await;
        let fragile = parent.make(false).ask().await.unwrap().expect("created");
        println!("child pid {}", fragile.pid().ask().await.unwrap());
        let _ = tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new())).await;
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_process_does_not_outlive_its_killed_parent() {
    let mut program = Command::new(std::env::current_exe().unwrap())
        .args([
            "program_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(PROGRAM, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(program.stdout.take().unwrap());
    let child: u32 = stdout
        .lines()
        .map_while(Result::ok)
        .find_map(|line| line.split("child pid ").nth(1).map(str::to_owned))
        .expect("the program starts its child")
        .trim()
        .parse()
        .unwrap();
    assert!(!gone(child));
    program.kill().unwrap();
    program.wait().unwrap();
    // Orphaned, the child exits at once (its parent's pipe closed). It is reaped by whoever
    // adopts orphans, which may not be quick: a zombie here has ended all the same.
    let deadline = Instant::now() + TIMEOUT;
    let ended = |pid: u32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
            stat.split(") ").nth(1).is_some_and(|s| s.starts_with('Z'))
        })
    };
    while !ended(child) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(ended(child), "the child {child} outlived its parent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_networked_node_lists_its_child_processes_to_whoever_knows_the_secret() {
    use thespian_net::{NetConfig, NetSystem};
    let secret = thespian_net::Secret::generate().unwrap();
    let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    let system = ActorSystem::builder().default_ask_timeout(TIMEOUT).build();
    let net = NetSystem::start(&system, config()).await.unwrap();
    let args = [
        "child_process",
        "--exact",
        "--nocapture",
        "--test-threads=1",
    ];
    let processes = Processes::install_with(&net, ProcessConfig::new().args(args))
        .await
        .unwrap();
    let options = ActorOptions::new().in_own_process();
    let fragile = system
        .create_actor_with(Fragile::default(), options)
        .await
        .unwrap();
    let pid = fragile.pid().ask().await.unwrap();
    // Another node, the status tool say, asks.
    let operator = ActorSystem::new();
    let asking = NetSystem::start(&operator, config()).await.unwrap();
    let listed = Processes::query(&asking, net.local_addr(), TIMEOUT)
        .await
        .unwrap();
    // The same process and actor (the address a proxy of the asker's own).
    let pids = |list: &[thespian_net::ProcessInfo]| list.iter().map(|p| p.pid).collect::<Vec<_>>();
    assert_eq!(pids(&listed), pids(&processes.running()));
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].pid, pid);
    assert!(listed[0].actor_type.ends_with("Fragile"));
    asking.shutdown().await;
    system.shutdown().await;
    until_gone(pid).await;
    net.shutdown().await;
}
