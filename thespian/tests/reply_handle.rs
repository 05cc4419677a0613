//! A reply handle kept by one actor and completed by another (the Hello World Redux pattern), on
//! both bases.

mod common;

use std::time::Duration;

use thespian::prelude::*;

/// A job carrying the original asker's reply handle from actor to actor.
struct Job {
    text: String,
    reply: ReplyHandle<String>,
}

impl Message for Job {
    type Reply = ();
}

struct Front {
    back: Addr<Back>,
}

#[actor(no_serde)]
impl Front {
    /// Passes the asker's reply handle on to `Back`, which answers.
    async fn question(
        &mut self,
        text: String,
        reply: ReplyHandle<String>,
        ctx: &mut Context<Self>,
    ) {
        ctx.tell(&self.back, Job { text, reply }).await;
    }
}

struct Back {
    middle: Addr<Middle>,
}

#[actor(no_serde)]
impl Back {
    #[receive]
    async fn relay(&mut self, job: Job, ctx: &mut Context<Self>) {
        let Job { text, reply } = job;
        ctx.tell(
            &self.middle,
            Job {
                text: format!("{text}, back"),
                reply,
            },
        )
        .await;
    }
}

struct Middle;

#[actor(no_serde)]
impl Middle {
    #[receive]
    async fn finish(&mut self, job: Job) {
        let _ = job.reply.send(format!("{}, middle", job.text));
    }

    async fn drop_it(&mut self, reply: ReplyHandle<u8>) {
        drop(reply);
    }

    async fn refuse(&mut self, reply: ReplyHandle<u8>) {
        reply.fail("no such page");
    }
}

#[tokio::test]
async fn a_reply_handle_passed_across_two_actors_completes_the_original_ask() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let middle = system.create_actor(Middle).await.unwrap();
        let back = system.create_actor(Back { middle }).await.unwrap();
        let front = system.create_actor(Front { back }).await.unwrap();
        let answer = front.question("front".into()).ask().await;
        assert_eq!(answer, Ok("front, back, middle".to_string()));
        system.shutdown().await;
    }
}

#[tokio::test]
async fn a_dropped_reply_handle_fails_the_ask_at_once() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let middle = system.create_actor(Middle).await.unwrap();
        let started = std::time::Instant::now();
        let answer = middle
            .drop_it()
            .timeout(Duration::from_secs(30))
            .ask()
            .await;
        assert_eq!(answer, Err(AskError::NoReply));
        assert!(started.elapsed() < Duration::from_secs(5));
        system.shutdown().await;
    }
}

#[tokio::test]
async fn a_failed_reply_handle_poisons_the_ask_with_its_details() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let middle = system.create_actor(Middle).await.unwrap();
        let answer = middle.refuse().ask().await;
        assert_eq!(
            answer,
            Err(AskError::Poisoned(Poison::Failed("no such page".into())))
        );
        system.shutdown().await;
    }
}

#[tokio::test]
async fn a_reply_handle_of_a_told_message_sends_to_the_sender() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let middle = system.create_actor(Middle).await.unwrap();
        let back = system.create_actor(Back { middle }).await.unwrap();
        let front = system.create_actor(Front { back }).await.unwrap();
        system
            .tell(
                &front,
                FrontQuestion {
                    text: "told".into(),
                },
            )
            .await;
        let received = system.listen(Duration::from_secs(1)).await.unwrap();
        assert_eq!(
            received.downcast::<String>().ok().as_deref(),
            Some("told, back, middle")
        );
        system.shutdown().await;
    }
}
