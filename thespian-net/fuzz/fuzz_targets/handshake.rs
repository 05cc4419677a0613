//! Plays a peer that sends arbitrary bytes to a node accepting a connection: the handshake may
//! only refuse it (it cannot know the secret), never panic or accept. Half the inputs follow a
//! well-formed `Hello`, so that the steps after it are reached too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use thespian_net::__testing;

fuzz_target!(|data: &[u8]| {
    let input = match data.split_first() {
        Some((&first, rest)) if first & 1 == 1 => [__testing::hello(), rest.to_vec()].concat(),
        _ => data.to_vec(),
    };
    assert!(!__testing::accept_handshake(&input));
});
