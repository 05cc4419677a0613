// A generated method makes a request and sends nothing: awaiting it directly is refused, so a
// call site always says whether it tells or asks.
use thespian::prelude::*;

#[derive(Default)]
struct Counter(u64);

#[actor(no_serde)]
impl Counter {
    async fn add(&mut self, n: u64) {
        self.0 += n;
    }
}

async fn use_it(counter: Addr<Counter>) {
    let _ = counter.add(1).await;
}

fn main() {
    let _ = use_it;
}
