//! Supervision across processes: a parent on one node supervises children placed on two others,
//! one of those processes is killed, and the parent hears it and places the child again.
//!
//! This program leads the convention and runs the supervisor. It starts two copies of itself as
//! members in zones "a" and "b"; the supervisor places worker 1 in zone a and worker 2 in zone b
//! with [`Convention::create_child`], so it is their parent although they run elsewhere. Then the
//! process of zone a is killed (SIGKILL): the supervisor's `child_exited` hears that worker 1's
//! node was lost, and places a fresh worker 1 wherever workers may run, which leaves zone b.
//!
//! ```text
//! $ cargo run -p thespian-net --example remote_supervision
//! convention of 3 nodes
//! worker 1 placed in zone "a"
//! worker 2 placed in zone "b"
//! worker 1 has done 1 job, worker 2 has done 1 job
//! killed the process of zone "a"
//! worker 1 ended: its node was lost
//! worker 1 placed again, in zone "b"
//! worker 1 has done 1 job, worker 2 has done 2 jobs
//! ```
//!
//! A member alone: `remote_supervision member <leader address> <zone>`.

use std::error::Error;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thespian::prelude::*;
use thespian::{Capabilities, CapabilityValue};
use thespian_net::{Convention, ConventionConfig, NetConfig, NetSystem, Placement, Secret};

/// Where member processes find the secret the leader made for this run.
const SECRET_VAR: &str = "THESPIAN_SECRET";

/// Runs on nodes that offer "workers", in the zone its requirements name (if any).
#[derive(Serialize, Deserialize, Default)]
struct Worker {
    jobs: u64,
}

#[actor]
impl Worker {
    async fn work(&mut self) -> u64 {
        self.jobs += 1;
        self.jobs
    }

    #[capability_check]
    fn check(capabilities: &Capabilities, requirements: &Capabilities) -> bool {
        capabilities.is_true("workers")
            && requirements
                .iter()
                .all(|(name, value)| capabilities.get(name) == Some(value))
    }
}

/// The parent of the workers, wherever they run.
struct Supervisor {
    convention: Convention,
    workers: Vec<(String, Addr<Worker>)>,
    log: Vec<String>,
}

#[actor(no_serde)]
impl Supervisor {
    /// Places worker `name` in `zone` (anywhere workers run, without one).
    async fn start_worker(
        &mut self,
        name: String,
        zone: Option<String>,
        ctx: &mut Context<Self>,
    ) -> Result<String, String> {
        let requirements = match zone {
            Some(zone) => Capabilities::new().with("zone", zone),
            None => Capabilities::new(),
        };
        let placement = Placement::new().requirements(requirements);
        let convention = self.convention.clone();
        let worker = convention
            .create_child(ctx, Worker::default(), placement)
            .await
            .map_err(|e| e.to_string())?;
        let zone = zone_of(&self.convention, &worker.address());
        self.workers.push((name, worker));
        Ok(zone)
    }

    /// Gives every worker a job; what each has done so far.
    async fn round(&mut self) -> String {
        let mut done = Vec::new();
        for (name, worker) in &self.workers {
            match worker.work().ask().await {
                Ok(1) => done.push(format!("{name} has done 1 job")),
                Ok(n) => done.push(format!("{name} has done {n} jobs")),
                Err(e) => done.push(format!("{name} did not answer ({e})")),
            }
        }
        done.join(", ")
    }

    async fn log(&self) -> Vec<String> {
        self.log.clone()
    }

    /// A worker ended: when its node was lost, it is placed again wherever workers run.
    #[child_exited]
    async fn on_child_exited(&mut self, exited: ChildActorExited, ctx: &mut Context<Self>) {
        let Some(at) = self.workers.iter().position(|(_, w)| *w == exited.child) else {
            return;
        };
        let (name, _) = self.workers.remove(at);
        self.log.push(format!("{name} ended: {}", exited.reason));
        if exited.reason == ExitReason::NodeLost {
            let placed = self.start_worker(name.clone(), None, ctx).await;
            self.log.push(match placed {
                Ok(zone) => format!("{name} placed again, in zone {zone}"),
                Err(e) => format!("{name} could not be placed again: {e}"),
            });
            // Keep the workers in their order by name, for the report.
            self.workers.sort_by(|a, b| a.0.cmp(&b.0));
        }
    }
}

/// The zone of the node an actor runs on.
fn zone_of(convention: &Convention, actor: &ActorAddress) -> String {
    let node = thespian::remote::node_of_actor(actor);
    convention
        .members()
        .into_iter()
        .find(|m| Some(m.node) == node)
        .and_then(|m| m.capabilities.get("zone").cloned())
        .map_or_else(|| "?".to_owned(), |zone| zone.to_string())
}

/// Starts a networked system and joins the convention led from `leader` (itself when `None`).
async fn node(
    capabilities: Capabilities,
    leader: Option<SocketAddr>,
    secret: &Secret,
) -> Result<(ActorSystem, NetSystem, Convention), Box<dyn Error>> {
    let system = ActorSystem::builder().capabilities(capabilities).build();
    let net = NetSystem::start(
        &system,
        NetConfig::new("127.0.0.1:0".parse()?, secret.clone()),
    )
    .await?;
    let leader = leader.unwrap_or(net.local_addr());
    let convention = Convention::join(&net, ConventionConfig::new(leader)).await?;
    convention.register::<Worker>();
    Ok((system, net, convention))
}

/// A member process in `zone`: serves until its standard input closes.
async fn member(leader: SocketAddr, zone: &str) -> Result<(), Box<dyn Error>> {
    let secret = Secret::from_env(SECRET_VAR)?;
    let capabilities = Capabilities::new()
        .with("workers", true)
        .with("zone", CapabilityValue::from(zone));
    let (system, net, _convention) = node(capabilities, Some(leader), &secret).await?;
    println!("member listening on {}", net.local_addr());
    tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new())).await??;
    net.shutdown().await;
    system.shutdown().await;
    Ok(())
}

/// Starts a member process and waits until it listens.
fn spawn_member(leader: SocketAddr, zone: &str, secret: &Secret) -> Result<Child, Box<dyn Error>> {
    let mut child = Command::new(std::env::current_exe()?)
        .env(SECRET_VAR, secret.to_hex())
        .args(["member", &leader.to_string(), zone])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
    if !line.starts_with("member listening on") {
        return Err(format!("the member did not start: {line:?}").into());
    }
    Ok(child)
}

/// Waits until `check` holds, for at most ten seconds.
async fn until(what: &str, mut check: impl AsyncFnMut() -> bool) -> Result<(), Box<dyn Error>> {
    let waited = tokio::time::timeout(Duration::from_secs(10), async {
        while !check().await {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    waited.map_err(|_| format!("timed out waiting until {what}").into())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("member") {
        let leader = args.get(2).ok_or("member <leader> <zone>")?.parse()?;
        let zone = args.get(3).ok_or("member <leader> <zone>")?;
        return member(leader, zone).await;
    }

    // A secret made for this run, handed to the member processes in their environment.
    let secret = Secret::generate()?;
    let (system, net, convention) = node(Capabilities::new(), None, &secret).await?;
    let zone_a = spawn_member(net.local_addr(), "a", &secret)?;
    let mut zone_b = spawn_member(net.local_addr(), "b", &secret)?;
    until("both members registered", async || {
        convention.members().len() == 3
    })
    .await?;
    println!("convention of {} nodes", convention.members().len());

    let supervisor = Supervisor {
        convention: convention.clone(),
        workers: Vec::new(),
        log: Vec::new(),
    };
    let supervisor = system.create_actor(supervisor).await?;
    for (name, zone) in [("worker 1", "a"), ("worker 2", "b")] {
        let placed = supervisor
            .start_worker(name.to_owned(), Some(zone.to_owned()))
            .ask()
            .await?;
        println!("{name} placed in zone {placed}");
    }
    println!("{}", supervisor.round().ask().await?);

    let mut zone_a = zone_a;
    zone_a.kill()?;
    zone_a.wait()?;
    println!("killed the process of zone \"a\"");
    until("the supervisor placed worker 1 again", async || {
        supervisor.log().ask().await.is_ok_and(|log| log.len() >= 2)
    })
    .await?;
    for line in supervisor.log().ask().await? {
        println!("{line}");
    }
    println!("{}", supervisor.round().ask().await?);

    supervisor.request_exit();
    until("the supervisor and its workers exited", async || {
        !supervisor.address().is_alive()
    })
    .await?;
    net.shutdown().await;
    system.shutdown().await;
    drop(zone_b.stdin.take());
    zone_b.wait()?;
    Ok(())
}
