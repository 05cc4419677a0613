//! A key-value web service on axum whose state lives in actors: 8 shard actors hold the keys, a
//! counter actor counts the requests, and the HTTP handlers `ask` them (see `examples/kv.rs`).
//!
//! ```text
//! $ cargo run --example kv_service              # port 3000, or: -- 8080, or PORT=8080
//! $ curl -i -X PUT localhost:3000/kv/greeting -d 'Hello, World!'
//! HTTP/1.1 201 Created
//! $ curl localhost:3000/kv/greeting
//! Hello, World!
//! $ curl localhost:3000/stats
//! {"requests":3,"keys":1}
//! $ curl -i -X DELETE localhost:3000/kv/greeting
//! HTTP/1.1 204 No Content
//! ```
//!
//! The default log is quiet: start, stop, and what went wrong. `RUST_LOG=debug` shows each
//! request's span, and the shard's handling of it inside that span (colour only on a terminal):
//!
//! ```text
//! DEBUG request{id=1 method=PUT path=/kv/greeting}: examples::kv: put shard=0 key=greeting len=13
//! DEBUG request{id=1 method=PUT path=/kv/greeting}: examples::kv: done status=201 micros=452
//! ```
//!
//! A client must send a request's head within 5 s of starting it and its body within 10 s, or it
//! is disconnected (a client that sends half a request line does not hold a connection for ever).
//!
//! `RUST_LOG` sets what is logged (default `info`). Ctrl-C or SIGTERM stops the
//! service gracefully: it stops accepting connections, finishes the requests in flight (for at
//! most 10 s), and only then shuts the actor system down.

use std::error::Error;
use std::io::IsTerminal;
use std::net::Ipv4Addr;
use std::time::Duration;

use examples::kv::{self, Config};
use thespian::prelude::*;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

const GRACE: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colour codes only for a person at a terminal, not into files or pipes.
        .with_ansi(std::io::stdout().is_terminal())
        .init();

    let port = port()?;
    let system = ActorSystem::new();
    let app = kv::app_with(&system, &Config::default()).await?;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
    tracing::info!(address = %listener.local_addr()?, "listening");

    kv::serve(listener, app, shutdown_signal(), GRACE).await?;
    system.shutdown().await;
    tracing::info!("stopped");
    Ok(())
}

/// The port: the first argument, else `$PORT`, else 3000.
fn port() -> Result<u16, Box<dyn Error>> {
    let given = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("PORT").ok());
    match given {
        Some(port) => port
            .parse()
            .map_err(|_| format!("not a port number: {port:?}").into()),
        None => Ok(3000),
    }
}

/// Completes on Ctrl-C, or on SIGTERM (what `kill` and service managers send).
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C"),
        () = terminate => tracing::info!("SIGTERM"),
    }
}
