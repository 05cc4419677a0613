//! The examples live in `examples/`: run one with `cargo run --example hello`.
