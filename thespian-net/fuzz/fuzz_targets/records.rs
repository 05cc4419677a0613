//! Feeds arbitrary bytes to the record layer as if a peer sent them (nothing forged may open),
//! and checks that the same bytes, sealed and read back in arbitrary pieces, open unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = thespian_net::__testing::open_records(data);
});
