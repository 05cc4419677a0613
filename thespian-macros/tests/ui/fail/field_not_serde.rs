// A handler argument that serde cannot carry, on an actor that derives serde (the default): one of
// the errors says why it must travel and how to keep the actor local (`no_serde`).
use std::sync::{Arc, Mutex};

use thespian::prelude::*;

struct Shared;

#[actor]
impl Shared {
    async fn keep(&mut self, cell: Arc<Mutex<u8>>) {
        let _ = cell;
    }
}

fn main() {}
