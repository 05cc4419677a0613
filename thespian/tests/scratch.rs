use std::time::Duration;
use thespian::prelude::*;

#[derive(Default)]
struct Counter { total: u64 }

#[actor]
impl Counter {
    async fn add(&mut self, n: u64) { self.total += n; }
    async fn total(&self) -> u64 { self.total }
    async fn who(&self, ctx: &mut Context<Self>) -> String { ctx.myself().to_string() }
    #[started]
    async fn on_start(&mut self) { self.total = 1; }
}

struct Stack<T> { items: Vec<T> }

#[actor]
impl<T: Clone + Send + Sync + 'static> Stack<T> where T: std::fmt::Debug {
    async fn push(&mut self, item: T) { self.items.push(item); }
    async fn pop(&mut self) -> Option<T> { self.items.pop() }
    async fn len(&self) -> usize { self.items.len() }
}

#[tokio::test]
async fn counter() {
    let system = ActorSystem::new();
    let c = system.create_actor(Counter::default()).await.unwrap();
    c.add(5).await.unwrap();
    assert_eq!(c.total().await, Ok(6));
    assert_eq!(system.ask(&c, Total, Duration::from_secs(1)).await, Ok(6));
    assert_eq!(c.timeout(Duration::from_secs(1)).total().await, Ok(6));
    let s = system.create_actor(Stack::<String> { items: vec![] }).await.unwrap();
    s.push("a".to_string()).await.unwrap();
    assert_eq!(s.len().await, Ok(1));
    assert_eq!(s.pop().await, Ok(Some("a".to_string())));
    assert_eq!(system.ask(&s, Pop::new(), Duration::from_secs(1)).await, Ok(None));
    system.shutdown().await;
    assert_eq!(system.live_actors(), 0);
}
