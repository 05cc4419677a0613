//! Feeds arbitrary bytes to the frame-header decoder and to an actor type's message decoder
//! (with addresses resolved on a system): neither may panic, whatever arrives.
#![no_main]

use libfuzzer_sys::fuzz_target;
use thespian::prelude::*;

#[derive(Default)]
struct Target {
    seen: Vec<ActorAddress>,
}

#[actor]
impl Target {
    async fn text(&mut self, text: String, count: u32) -> usize {
        text.len() + count as usize
    }

    async fn remember(&mut self, address: ActorAddress, reply: ReplyHandle<u64>) {
        self.seen.push(address);
        let _ = reply.send(1);
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = thespian_net::__testing::decode_frame(data);
    let system = ActorSystem::new();
    thespian::remote::decoding(&system, || {
        let _ = <TargetMessage as Mail>::from_wire(data);
    });
});
