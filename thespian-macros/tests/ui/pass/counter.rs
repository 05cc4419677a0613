// The basic actor: a handler without reply, one with a reply, and everything they generate.
use thespian::prelude::*;

#[derive(Default)]
struct Counter {
    total: u64,
}

#[actor]
impl Counter {
    async fn add(&mut self, n: u64) {
        self.total += n;
    }

    async fn total(&self) -> u64 {
        self.total
    }
}

// The extension trait gives every address typed methods.
async fn use_addr(addr: Addr<Counter>) -> Result<u64, AskError> {
    addr.add(1).tell().await.ok();
    addr.total().ask().await
}

fn main() {
    let add = CounterAdd { n: 1 };
    let _: u64 = add.n;
    let _: Vec<CounterMessage> = vec![add.into(), CounterMessage::Total(CounterTotal)];
    fn reply_of<M: Message<Reply = u64>>(_: M) {}
    reply_of(CounterTotal);
    fn is_ext<R: CounterAddrExt>() {}
    is_ext::<Addr<Counter>>();
    let _ = use_addr;
    let _ = Counter::default();
}
