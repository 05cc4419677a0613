//! The examples live in `examples/`: run one with `cargo run --example hello`.
//!
//! This library holds what more than one target uses: [`kv`], the actor-backed web service that
//! `cargo run --example kv_service` runs, `tests/kv_service.rs` loads and `benches/benches/web.rs`
//! measures.

pub mod kv;
