//! Without the feature `remote` (`cargo test -p thespian-actors --no-default-features`), the
//! crate builds without serde and `#[actor]` derives nothing for the wire: an actor whose
//! arguments cannot travel needs no `no_serde`.
#![cfg(not(feature = "remote"))]

use std::sync::{Arc, Mutex};

use thespian::prelude::*;

/// Not serde, and not meant to be.
#[derive(Default)]
struct Journal {
    lines: Vec<String>,
}

struct Scribe;

#[actor]
impl Scribe {
    async fn write(&mut self, journal: Arc<Mutex<Journal>>, line: String) -> usize {
        let mut journal = journal.lock().unwrap();
        journal.lines.push(line);
        journal.lines.len()
    }
}

#[tokio::test]
async fn an_actor_with_arguments_that_cannot_travel_needs_no_opt_out() {
    let system = ActorSystem::new();
    let scribe = system.create_actor(Scribe).await.unwrap();
    let journal = Arc::new(Mutex::new(Journal::default()));
    assert_eq!(
        scribe.write(journal.clone(), "one".into()).ask().await,
        Ok(1)
    );
    assert_eq!(
        scribe.write(journal.clone(), "two".into()).ask().await,
        Ok(2)
    );
    assert_eq!(journal.lock().unwrap().lines, ["one", "two"]);
    system.shutdown().await;
}
