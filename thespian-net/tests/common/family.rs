//! A parent on one node and children placed on others, shared by the tests of remote children
//! (in one process, and across processes).
#![allow(dead_code)]

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use thespian::prelude::*;
use thespian::Capabilities;
use thespian_net::{Convention, ConventionConfig, NetSystem, Placement};

use super::{config, Counter, TIMEOUT};

/// Runs only where "remote" is true: the parent's node never has it.
#[derive(Serialize, Deserialize, Default)]
pub struct Child {
    done: u64,
}

#[actor]
impl Child {
    pub async fn work(&mut self) -> u64 {
        self.done += 1;
        self.done
    }

    pub async fn quit(&mut self, ctx: &mut Context<Self>) -> bool {
        ctx.stop();
        true
    }

    pub async fn crash(&mut self) -> u64 {
        panic!("the child crashed")
    }

    #[capability_check]
    fn remote_only(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
        capabilities.is_true("remote")
    }
}

/// Places children through the convention, watches actors, and records what it hears.
pub struct Parent {
    pub convention: Convention,
    pub children: Vec<(ActorAddress, ExitReason)>,
    pub watched: Vec<(ActorAddress, ExitReason)>,
}

#[actor(no_serde)]
impl Parent {
    pub async fn place(&mut self, restart: bool, ctx: &mut Context<Self>) -> Option<Addr<Child>> {
        let placement = match restart {
            true => Placement::new().restart(3, Duration::from_secs(10)),
            false => Placement::new().stop_on_failure(),
        };
        let convention = self.convention.clone();
        convention
            .create_child(ctx, Child::default(), placement)
            .await
            .ok()
    }

    pub async fn watch_it(&mut self, actor: ActorAddress, ctx: &mut Context<Self>) -> bool {
        ctx.watch(&actor);
        true
    }

    pub async fn unwatch_it(&mut self, actor: ActorAddress, ctx: &mut Context<Self>) -> bool {
        ctx.unwatch(&actor);
        true
    }

    pub async fn children(&self, ctx: &mut Context<Self>) -> usize {
        ctx.children().count()
    }

    pub async fn exits(&self) -> Vec<(ActorAddress, ExitReason)> {
        self.children.clone()
    }

    pub async fn watched(&self) -> Vec<(ActorAddress, ExitReason)> {
        self.watched.clone()
    }

    #[child_exited]
    async fn on_child(&mut self, exited: ChildActorExited) {
        self.children.push((exited.child, exited.reason));
    }

    #[watched_exited]
    async fn on_watched(&mut self, exited: WatchedActorExited) {
        self.watched.push((exited.actor, exited.reason));
    }
}

pub struct Node {
    pub system: ActorSystem,
    pub net: NetSystem,
    pub convention: Convention,
}

/// A node of a convention led at `leader` (this node, if `None`); children run only where
/// `remote` is true. Down after `down_after` of silence.
pub async fn start(
    leader: Option<std::net::SocketAddr>,
    remote: bool,
    down_after: Duration,
) -> Node {
    let system = ActorSystem::builder()
        .capability("remote", remote)
        .default_ask_timeout(TIMEOUT)
        .build();
    let config = config().down_after(down_after);
    let net = NetSystem::start(&system, config).await.unwrap();
    let leader = leader.unwrap_or(net.local_addr());
    let timing = ConventionConfig::new(leader)
        .timing(Duration::from_millis(100), Duration::from_millis(400));
    let convention = Convention::join(&net, timing).await.unwrap();
    convention.register::<Child>();
    Node {
        system,
        net,
        convention,
    }
}

/// A parent's node and a child's node, in one convention.
/// The counter named `name` on node `away`, as node `home` sees it.
pub async fn remote_counter(home: &Node, away: &Node, name: &str) -> Addr<Counter> {
    home.net
        .lookup(away.net.local_addr(), name, TIMEOUT)
        .await
        .expect("the counter is there")
}

pub async fn two_nodes() -> (Node, Node, Addr<Parent>) {
    let down_after = Duration::from_millis(600);
    let home = start(None, false, down_after).await;
    let away = start(Some(home.net.local_addr()), true, down_after).await;
    eventually("both nodes know both", || {
        home.convention.members().len() == 2 && away.convention.members().len() == 2
    })
    .await;
    let parent = parent_on(&home).await;
    (home, away, parent)
}

pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let waited = tokio::time::timeout(TIMEOUT, async {
        while !check() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "never: {what}");
}

/// What `parent` has heard of its children, once it has heard `n` ends.
pub async fn exits(parent: &Addr<Parent>, n: usize) -> Vec<(ActorAddress, ExitReason)> {
    heard(n, || parent.exits().ask()).await
}

/// What `parent` has heard of the actors it watches, once it has heard `n` ends.
pub async fn watched(parent: &Addr<Parent>, n: usize) -> Vec<(ActorAddress, ExitReason)> {
    heard(n, || parent.watched().ask()).await
}

pub async fn heard<F>(n: usize, ask: impl Fn() -> F) -> Vec<(ActorAddress, ExitReason)>
where
    F: std::future::IntoFuture<Output = Result<Vec<(ActorAddress, ExitReason)>, AskError>>,
{
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let heard = ask().await.unwrap();
        if heard.len() >= n || Instant::now() > deadline {
            return heard;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A parent actor on `node`.
pub async fn parent_on(node: &Node) -> Addr<Parent> {
    let parent = Parent {
        convention: node.convention.clone(),
        children: Vec::new(),
        watched: Vec::new(),
    };
    node.system.create_actor(parent).await.unwrap()
}
