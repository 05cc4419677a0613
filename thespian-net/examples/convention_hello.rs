//! Hello World, distributed: three processes form a convention, and the greeting crosses all of
//! them.
//!
//! This program is the convention's leader. It starts two more copies of itself as members, one
//! with the capability `"Hello World"`, one with `"Punctuation"`, waits until both registered,
//! then creates `World`, `Punctuate` and `Hello` *by capability*: each actor type's capability
//! check accepts only a node that offers what it needs, so `World` and `Hello` are placed on the
//! first member and `Punctuate` on the second. The leader asks `Hello`; its reply handle travels
//! with the greeting from `World` to `Punctuate`, which answers the leader.
//!
//! ```text
//! $ cargo run -p thespian-net --example convention_hello
//! convention of 3 nodes
//! World placed on the node with "Hello World"
//! Punctuate placed on the node with "Punctuation"
//! Hello placed on the node with "Hello World"
//! Hello, World!
//! ```
//!
//! A member alone: `convention_hello member <leader address> <capability>` (it prints its address
//! and serves until its standard input closes).

use std::error::Error;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thespian::prelude::*;
use thespian::Capabilities;
use thespian_net::{Convention, ConventionConfig, NetConfig, NetSystem, Secret};

/// Where member processes find the secret the leader made for this run.
const SECRET_VAR: &str = "THESPIAN_SECRET";

/// A greeting on its way, with the stops it still has to make.
#[derive(Serialize, Deserialize)]
struct Greeting {
    message: String,
    punctuate: Addr<Punctuate>,
    reply: ReplyHandle<String>,
}

impl Message for Greeting {
    type Reply = ();
}

#[derive(Serialize, Deserialize)]
struct Hello {
    world: Addr<World>,
    punctuate: Addr<Punctuate>,
}

#[actor]
impl Hello {
    async fn hi(&mut self, reply: ReplyHandle<String>) {
        let greeting = Greeting {
            message: "Hello".into(),
            punctuate: self.punctuate.clone(),
            reply,
        };
        let _ = self.world.tell(greeting).await;
    }

    #[capability_check]
    fn needs_hello_world(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
        capabilities.is_true("Hello World")
    }
}

#[derive(Serialize, Deserialize)]
struct World;

#[actor]
impl World {
    #[receive]
    async fn greet(&mut self, mut greeting: Greeting) {
        greeting.message.push_str(", World");
        let next = greeting.punctuate.clone();
        let _ = next.tell(greeting).await;
    }

    #[capability_check]
    fn needs_hello_world(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
        capabilities.is_true("Hello World")
    }
}

#[derive(Serialize, Deserialize)]
struct Punctuate;

#[actor]
impl Punctuate {
    #[receive]
    async fn greet(&mut self, mut greeting: Greeting) {
        greeting.message.push('!');
        let _ = greeting.reply.send(greeting.message);
    }

    #[capability_check]
    fn needs_punctuation(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
        capabilities.is_true("Punctuation")
    }
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
    convention.register::<Hello>();
    convention.register::<World>();
    convention.register::<Punctuate>();
    Ok((system, net, convention))
}

/// A member process: serves until its standard input closes.
async fn member(leader: SocketAddr, capability: &str) -> Result<(), Box<dyn Error>> {
    let secret = Secret::from_env(SECRET_VAR)?;
    let (system, net, _convention) = node(
        Capabilities::new().with(capability, true),
        Some(leader),
        &secret,
    )
    .await?;
    println!("member listening on {}", net.local_addr());
    tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new())).await??;
    net.shutdown().await;
    system.shutdown().await;
    Ok(())
}

/// Starts a member process and waits until it listens.
fn spawn_member(
    leader: SocketAddr,
    capability: &str,
    secret: &Secret,
) -> Result<Child, Box<dyn Error>> {
    let mut child = Command::new(std::env::current_exe()?)
        .env(SECRET_VAR, secret.to_hex())
        .args(["member", &leader.to_string(), capability])
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

/// Where an actor of the convention was placed: the capabilities of the node its address
/// points to.
fn placed(convention: &Convention, actor: ActorAddress, name: &str) -> String {
    let node = thespian::remote::node_of_actor(&actor);
    let capabilities = convention
        .members()
        .into_iter()
        .find(|m| Some(m.node) == node)
        .map(|m| {
            let names: Vec<String> = m
                .capabilities
                .iter()
                .map(|(k, _)| format!("{k:?}"))
                .collect();
            names.join(", ")
        })
        .unwrap_or_else(|| "?".into());
    format!("{name} placed on the node with {capabilities}")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("member") {
        let leader = args.get(2).ok_or("member <leader> <capability>")?.parse()?;
        let capability = args.get(3).ok_or("member <leader> <capability>")?;
        return member(leader, capability).await;
    }

    // A secret made for this run, handed to the member processes in their environment.
    let secret = Secret::generate()?;
    let (system, net, convention) = node(Capabilities::new(), None, &secret).await?;
    let mut members = vec![
        spawn_member(net.local_addr(), "Hello World", &secret)?,
        spawn_member(net.local_addr(), "Punctuation", &secret)?,
    ];
    let registered = tokio::time::timeout(Duration::from_secs(10), async {
        while convention.members().len() < 3 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    if registered.is_err() {
        return Err("the members did not register".into());
    }
    println!("convention of {} nodes", convention.members().len());

    let world = convention.create_actor(World, Capabilities::new()).await?;
    println!("{}", placed(&convention, world.address(), "World"));
    let punctuate = convention
        .create_actor(Punctuate, Capabilities::new())
        .await?;
    println!("{}", placed(&convention, punctuate.address(), "Punctuate"));
    let hello = convention
        .create_actor(Hello { world, punctuate }, Capabilities::new())
        .await?;
    println!("{}", placed(&convention, hello.address(), "Hello"));
    match hello.hi().timeout(Duration::from_secs(5)).ask().await {
        Ok(text) => println!("{text}"),
        Err(e) => println!("None ({e})"),
    }
    net.shutdown().await;
    system.shutdown().await;
    for member in &mut members {
        drop(member.stdin.take());
        member.wait()?;
    }
    Ok(())
}
