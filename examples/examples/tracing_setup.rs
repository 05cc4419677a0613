//! Logging with `tracing`: one subscriber set up in `main`, and what thespian records with it.
//!
//! `RUST_LOG` chooses what is shown; this example defaults to `info,thespian=debug`. At `debug`
//! for `thespian`, every message an actor handles runs in a `handle` span naming the message
//! type, the sender and a trace number, inside its actor's `actor` span, so each line a handler
//! logs says which actor logged it, handling what, for whom. thespian's own reports (a handler
//! that panicked, an error nobody waited for) land in the same spans. With `RUST_LOG=info` the spans are off and cost a
//! level check per message.
//!
//! ```text
//! $ cargo run --example tracing_setup
//!  INFO actor{actor=Reader#3 actor_type="tracing_setup::Reader"}:handle{message_type=ReaderBorrow sender=outside trace=18336488083538943952}: tracing_setup: asking the library title="Dune"
//!  INFO actor{actor=Library#2 actor_type="tracing_setup::Library"}:handle{message_type=LibraryLend sender=Reader#3 trace=43521057730465499}: tracing_setup: lent title="Dune" left=0
//!  INFO actor{actor=Reader#3 actor_type="tracing_setup::Reader"}:handle{message_type=ReaderBorrow sender=outside trace=18336488083538943952}: tracing_setup: borrowed title="Dune" ok=true
//!  …
//!  WARN actor{actor=Library#2 actor_type="tracing_setup::Library"}:handle{message_type=LibraryLend sender=outside trace=3113627980978195287}: thespian::context: the handler of a told message returned an error actor=Library#2 message_type="LibraryLend" error="no copy of \"Dune\" left"
//!  …
//! ```
//!
//! (The output has no timestamps, so that CI can compare it; a service keeps them.)

use std::collections::HashMap;

use thespian::prelude::*;
use tracing_subscriber::EnvFilter;

struct Library {
    copies: HashMap<String, u32>,
}

#[actor]
impl Library {
    async fn lend(&mut self, title: String) -> Result<u32, String> {
        let left = self
            .copies
            .get_mut(&title)
            .filter(|n| **n > 0)
            .ok_or_else(|| format!("no copy of {title:?} left"))?;
        *left -= 1;
        tracing::info!(title, left = *left, "lent");
        Ok(*left)
    }

    async fn shelve(&mut self, title: String) {
        tracing::info!(title, "returned");
        *self.copies.entry(title).or_default() += 1;
    }
}

struct Reader {
    library: Addr<Library>,
}

#[actor]
impl Reader {
    async fn borrow(&mut self, title: String) -> bool {
        tracing::info!(title, "asking the library");
        let ok = self.library.lend(title.clone()).ask().await.is_ok();
        tracing::info!(title, ok, "borrowed");
        ok
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,thespian=debug"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout)
        .without_time()
        .with_ansi(false)
        .init();

    let system = ActorSystem::new();
    let library = system
        .create_actor(Library {
            copies: HashMap::from([("Dune".to_owned(), 1)]),
        })
        .await?;
    let reader = system
        .create_actor(Reader {
            library: library.clone(),
        })
        .await?;
    reader.borrow("Dune".into()).ask().await?;
    // No copy left: the library's handler returns an error, which the reader's ask sees.
    reader.borrow("Dune".into()).ask().await?;
    // Told, the same error has nobody to go to: thespian reports it, in the handler's span.
    library.lend("Dune".into()).tell().await?;
    library.shelve("Dune".into()).ask().await?;
    reader.borrow("Dune".into()).ask().await?;
    system.shutdown().await;
    Ok(())
}
