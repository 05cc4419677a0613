// Calling a generated method without the generated `...AddrExt` trait in scope: the error names
// the trait to import.
mod counter {
    use thespian::prelude::*;

    #[derive(Default)]
    pub struct Counter(u64);

    #[actor(no_serde)]
    impl Counter {
        pub async fn add(&mut self, n: u64) {
            self.0 += n;
        }
    }
}

async fn use_it(counter: thespian::Addr<counter::Counter>) {
    let _ = counter.add(1).tell().await;
}

fn main() {
    let _ = use_it;
}
