//! Two processes, one actor system each, talking over loopback.
//!
//! The program starts a copy of itself as the *server* process, which holds a `Counter` actor
//! under the global name `counter`. The first process finds it by name and uses it exactly as it
//! would use a local actor: it tells it numbers, asks for the total, and asks it to exit.
//!
//! ```text
//! $ cargo run -p thespian-net --example two_processes
//! server process listening on 127.0.0.1:40313
//! told 1000 numbers to the counter in the other process
//! total there: 500500
//! the counter has exited: actor has exited
//! ```

use std::error::Error;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

use thespian::prelude::*;
use thespian_net::{NetConfig, NetSystem, Secret};

/// Where the server process finds the secret the client made for this run.
const SECRET_VAR: &str = "THESPIAN_SECRET";

#[derive(Default)]
struct Counter {
    total: u64,
}

#[actor]
impl Counter {
    async fn add(&mut self, n: u64) {
        self.total += n;
    }

    async fn total(&self) -> u64 {
        self.total
    }
}

fn config(secret: &Secret) -> NetConfig {
    NetConfig::new("127.0.0.1:0".parse().expect("an address"), secret.clone())
}

/// The server process: a counter, until its standard input closes.
async fn serve() -> Result<(), Box<dyn Error>> {
    let system = ActorSystem::new();
    let net = NetSystem::start(&system, config(&Secret::from_env(SECRET_VAR)?)).await?;
    system
        .create_actor_with(Counter::default(), ActorOptions::new().name("counter"))
        .await?;
    println!("listening on {}", net.local_addr());
    // Ends when the parent closes our standard input (or exits).
    tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new())).await??;
    net.shutdown().await;
    system.shutdown().await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    if std::env::args().any(|a| a == "--serve") {
        return serve().await;
    }
    // A secret made for this run, handed to the server process in its environment.
    let secret = Secret::generate()?;
    let mut server = Command::new(std::env::current_exe()?)
        .arg("--serve")
        .env(SECRET_VAR, secret.to_hex())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = server.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or("the server did not start")?
        .parse()?;
    println!("server process listening on {addr}");

    let system = ActorSystem::new();
    let net = NetSystem::start(&system, config(&secret)).await?;
    let counter: Addr<Counter> = net.lookup(addr, "counter", Duration::from_secs(5)).await?;
    for n in 1..=1000 {
        counter.add(n).tell().await?;
    }
    println!("told 1000 numbers to the counter in the other process");
    println!("total there: {}", counter.total().ask().await?);
    // The exit request travels behind the adds; once the counter is gone, an ask finds no actor.
    let exited = counter.wait_for_exit();
    counter.request_exit();
    exited.await;
    match counter.total().ask().await {
        Ok(total) => println!("the counter is still there: {total}"),
        Err(e) => println!("the counter has exited: {e}"),
    }
    net.shutdown().await;
    system.shutdown().await;
    drop(server.stdin.take());
    server.wait()?;
    Ok(())
}
