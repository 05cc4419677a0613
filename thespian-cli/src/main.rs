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
//! With `--json` it prints the same as one JSON document (`node`, `convention`, `views`,
//! `processes`), for scripts. `--timeout` takes a duration as people write it (`500ms`, `2s`).
//!
//! It joins nothing: it starts a networked system of its own on 127.0.0.1 (any port), proves the
//! secret to the node and asks its convention agent and its process base.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use serde::Serialize;
use thespian::{ActorSystem, CapabilityValue};
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
    /// How long to wait for each answer (`500ms`, `2s`, `1m`).
    #[arg(long, default_value = "3s", value_parser = humantime::parse_duration)]
    timeout: Duration,
    /// The address this tool listens on while it asks.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Prints one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

/// Everything the tool learnt, printed as text or as JSON.
struct Report {
    /// The node asked.
    node: SocketAddr,
    /// Its convention, if it answered.
    convention: Option<ConventionStatus>,
    /// Every member's own view of the convention.
    views: Vec<View>,
    /// Its child processes, if it has a process base.
    processes: Option<Vec<ProcessInfo>>,
}

/// The JSON document: what the text shows, in the same words (nodes as `addr/incarnation`,
/// capabilities as plain JSON values), not the wire form of the types.
#[derive(Serialize)]
struct JsonReport<'a> {
    node: SocketAddr,
    convention: Option<JsonConvention>,
    views: &'a [View],
    processes: Option<Vec<JsonProcess<'a>>>,
}

#[derive(Serialize)]
struct JsonConvention {
    node: String,
    role: &'static str,
    convention_address: SocketAddr,
    members: Vec<JsonMember>,
}

#[derive(Serialize)]
struct JsonMember {
    node: String,
    actors: usize,
    capabilities: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
struct JsonProcess<'a> {
    pid: u32,
    actor_type: &'a str,
    actor: String,
}

fn role(status: &ConventionStatus) -> &'static str {
    if status.is_leader {
        "seed"
    } else {
        "member"
    }
}

impl Report {
    fn json(&self) -> JsonReport<'_> {
        let convention = self.convention.as_ref().map(|status| {
            let mut members: Vec<_> = status.members.iter().collect();
            members.sort_by_key(|m| m.node);
            JsonConvention {
                node: status.node.to_string(),
                role: role(status),
                convention_address: status.leader,
                members: members
                    .into_iter()
                    .map(|m| JsonMember {
                        node: m.node.to_string(),
                        actors: m.actors,
                        capabilities: m
                            .capabilities
                            .iter()
                            .map(|(name, value)| (name.to_owned(), json_value(value)))
                            .collect(),
                    })
                    .collect(),
            }
        });
        let processes = self.processes.as_ref().map(|processes| {
            processes
                .iter()
                .map(|p| JsonProcess {
                    pid: p.pid,
                    actor_type: &p.actor_type,
                    actor: p.actor.to_string(),
                })
                .collect()
        });
        JsonReport {
            node: self.node,
            convention,
            views: &self.views,
            processes,
        }
    }
}

fn json_value(value: &CapabilityValue) -> serde_json::Value {
    match value {
        CapabilityValue::Bool(b) => (*b).into(),
        CapabilityValue::Int(i) => (*i).into(),
        // A NaN or an infinity has no JSON number: it becomes `null`.
        CapabilityValue::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        CapabilityValue::Text(t) => t.clone().into(),
    }
}

/// Whom one member believes alive, or why it did not say.
#[derive(Serialize)]
struct View {
    member: String,
    sees: Option<Vec<String>>,
    error: Option<String>,
}

fn print_convention(status: &ConventionStatus) {
    let role = role(status);
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

/// Asks every member `status` lists for its own view: whom each believes alive.
async fn views(net: &NetSystem, status: &ConventionStatus, timeout: Duration) -> Vec<View> {
    let mut members: Vec<_> = status.members.iter().map(|m| m.node).collect();
    members.sort();
    let mut views = Vec::with_capacity(members.len());
    for node in members {
        let view = if node == status.node {
            Ok(status.clone())
        } else {
            Convention::status(net, node.addr, timeout).await
        };
        views.push(match view {
            Ok(view) => {
                let mut seen: Vec<_> = view.members.iter().map(|m| m.node).collect();
                seen.sort();
                View {
                    member: node.to_string(),
                    sees: Some(seen.iter().map(ToString::to_string).collect()),
                    error: None,
                }
            }
            Err(e) => View {
                member: node.to_string(),
                sees: None,
                error: Some(e.to_string()),
            },
        });
    }
    views
}

fn print_views(views: &[View]) {
    println!("views (whom each member believes alive):");
    for view in views {
        match (&view.sees, &view.error) {
            (Some(seen), _) => println!(
                "  {:<26} sees {}: {}",
                view.member,
                seen.len(),
                seen.join(" ")
            ),
            (None, error) => println!(
                "  {:<26} no answer: {}",
                view.member,
                error.as_deref().unwrap_or("")
            ),
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

fn print_text(report: &Report) {
    if let Some(status) = &report.convention {
        print_convention(status);
        print_views(&report.views);
    }
    if let Some(processes) = &report.processes {
        print_processes(processes);
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
    let convention = Convention::status(&net, args.node, args.timeout).await;
    let processes = Processes::query(&net, args.node, args.timeout).await;
    let result = match (convention, processes) {
        (Err(e), Err(_)) => {
            eprintln!("thespian-status: {} did not answer: {e}", args.node);
            ExitCode::FAILURE
        }
        (convention, processes) => {
            let convention = convention.ok();
            let views = match &convention {
                Some(status) => views(&net, status, args.timeout).await,
                None => Vec::new(),
            };
            let report = Report {
                node: args.node,
                convention,
                views,
                processes: processes.ok(),
            };
            if !args.json {
                print_text(&report);
                ExitCode::SUCCESS
            } else {
                match serde_json::to_string_pretty(&report.json()) {
                    Ok(json) => {
                        println!("{json}");
                        ExitCode::SUCCESS
                    }
                    Err(e) => {
                        eprintln!("thespian-status: cannot write JSON: {e}");
                        ExitCode::FAILURE
                    }
                }
            }
        }
    };
    net.shutdown().await;
    system.shutdown().await;
    result
}
