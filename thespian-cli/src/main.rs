//! `thespian-status`: asks one node of a convention what the convention looks like — its members,
//! their capabilities and how many actors run on each, and whom each member believes alive —
//! and prints it (the Rust analogue of
//! Thespian's status shell).
//!
//! ```text
//! $ thespian-status --node 127.0.0.1:4000 --secret "$SECRET"
//! node 127.0.0.1:4000/3f2a91c7 (member; convention address 127.0.0.1:3999)
//! 2 members:
//!   127.0.0.1:3999/91bc0e15   actors: 3   {}
//!   127.0.0.1:4000/3f2a91c7   actors: 5   {"Hello World": true}
//! views (whom each member believes alive):
//!   127.0.0.1:3999/91bc0e15   sees 2: 127.0.0.1:3999/91bc0e15 127.0.0.1:4000/3f2a91c7
//!   127.0.0.1:4000/3f2a91c7   sees 2: 127.0.0.1:3999/91bc0e15 127.0.0.1:4000/3f2a91c7
//! ```
//!
//! Every member is asked for its own view, so a member that sees the convention differently (a
//! partition, a node not yet known everywhere) shows.
//!
//! A node with a process base (actors in processes of their own) also lists its child processes:
//!
//! ```text
//! 1 child process:
//!   pid 41236   isolated::Parser   Parser@127.0.0.1:41873/0c2e9a51
//! ```
//!
//! It joins nothing: it starts a networked system of its own on 127.0.0.1 (any port), proves the
//! secret to the node and asks its convention agent and its process base.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use thespian::ActorSystem;
use thespian_net::{
    Convention, ConventionStatus, NetConfig, NetSystem, ProcessInfo, Processes, Secret,
};

/// Prints the convention as a node of it sees it.
#[derive(Parser, Debug)]
#[command(name = "thespian-status", version)]
struct Args {
    /// The node to ask (host:port).
    #[arg(long)]
    node: SocketAddr,
    /// The convention's shared secret, in hexadecimal (or set THESPIAN_SECRET).
    #[arg(long, env = "THESPIAN_SECRET", hide_env_values = true)]
    secret: String,
    /// How long to wait for the answer, in milliseconds.
    #[arg(long, default_value_t = 3000)]
    timeout_ms: u64,
    /// The address this tool listens on while it asks.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
}

fn print(status: &ConventionStatus) {
    let role = if status.is_leader { "seed" } else { "member" };
    println!(
        "node {} ({role}; convention address {})",
        status.node, status.leader
    );
    println!("{} members:", status.members.len());
    let mut members = status.members.clone();
    members.sort_by_key(|m| m.node);
    for member in members {
        let capabilities: Vec<String> = member
            .capabilities
            .iter()
            .map(|(name, value)| format!("{name:?}: {value}"))
            .collect();
        println!(
            "  {:<26} actors: {:<4} {{{}}}",
            member.node.to_string(),
            member.actors,
            capabilities.join(", ")
        );
    }
}

/// Asks every member `status` lists for its own view and prints whom each believes alive.
async fn print_views(net: &NetSystem, status: &ConventionStatus, timeout: Duration) {
    println!("views (whom each member believes alive):");
    let mut members: Vec<_> = status.members.iter().map(|m| m.node).collect();
    members.sort();
    for node in members {
        let view = if node == status.node {
            Ok(status.clone())
        } else {
            Convention::status(net, node.addr, timeout).await
        };
        match view {
            Ok(view) => {
                let mut seen: Vec<_> = view.members.iter().map(|m| m.node).collect();
                seen.sort();
                let seen: Vec<String> = seen.iter().map(ToString::to_string).collect();
                println!(
                    "  {:<26} sees {}: {}",
                    node.to_string(),
                    seen.len(),
                    seen.join(" ")
                );
            }
            Err(e) => println!("  {:<26} no answer: {e}", node.to_string()),
        }
    }
}

fn print_processes(processes: &[ProcessInfo]) {
    let plural = if processes.len() == 1 { "" } else { "es" };
    println!("{} child process{plural}:", processes.len());
    for process in processes {
        println!(
            "  pid {:<7} {}   {}",
            process.pid, process.actor_type, process.actor
        );
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let system = ActorSystem::new();
    let secret = match Secret::from_hex(&args.secret) {
        Ok(secret) => secret,
        Err(e) => {
            eprintln!("thespian-status: {e}");
            return ExitCode::FAILURE;
        }
    };
    let net = match NetSystem::start(&system, NetConfig::new(args.listen, secret)).await {
        Ok(net) => net,
        Err(e) => {
            eprintln!("thespian-status: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let timeout = Duration::from_millis(args.timeout_ms);
    let convention = Convention::status(&net, args.node, timeout).await;
    let processes = Processes::query(&net, args.node, timeout).await;
    let result = match (convention, processes) {
        (Err(e), Err(_)) => {
            eprintln!("thespian-status: {} did not answer: {e}", args.node);
            ExitCode::FAILURE
        }
        (convention, processes) => {
            if let Ok(status) = convention {
                print(&status);
                print_views(&net, &status, timeout).await;
            }
            if let Ok(processes) = processes {
                print_processes(&processes);
            }
            ExitCode::SUCCESS
        }
    };
    net.shutdown().await;
    system.shutdown().await;
    result
}
