//! What reaches the outside of a system and nobody listens for is kept up to a bound; the rest
//! becomes counted dead letters, on both bases.

mod common;

use std::time::Duration;

use thespian::prelude::*;

/// Answers every told number by sending it back to its sender (the outside).
struct Echoer;

#[actor]
impl Echoer {
    async fn echo(&mut self, n: u64, ctx: &mut Context<Self>) {
        ctx.reply(n);
    }

    async fn ping(&self) -> bool {
        true
    }
}

#[tokio::test]
async fn the_outside_keeps_at_most_its_capacity_and_counts_the_rest_as_dead_letters() {
    for system in common::both_bases_with(|builder| builder.outside_capacity(100)) {
        let echo = system.create_actor(Echoer).await.unwrap();
        for n in 0..1_000 {
            echo.echo(n).tell().await.unwrap();
        }
        // Handled in order after the told messages.
        assert_eq!(echo.ping().ask().await, Ok(true));
        assert_eq!(system.dead_letter_count(), 900);
        // The first hundred are kept, in order; nothing else.
        for n in 0..100u64 {
            let got = system.listen(Duration::from_secs(1)).await.unwrap();
            assert_eq!(got.downcast::<u64>().ok(), Some(n));
        }
        assert!(system.listen(Duration::from_millis(20)).await.is_err());
        // Drained, it keeps messages again.
        echo.echo(7).tell().await.unwrap();
        let got = system.listen(Duration::from_secs(1)).await.unwrap();
        assert_eq!(got.downcast::<u64>().ok(), Some(7));
        system.shutdown().await;
    }
}
