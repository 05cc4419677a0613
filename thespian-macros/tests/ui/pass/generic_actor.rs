// A generic actor: message types carry only the parameters they use (`StackPop<T>` only in its reply).
use thespian::prelude::*;

struct Stack<T> {
    items: Vec<T>,
}

#[actor]
impl<T: Clone + Send + Sync + 'static> Stack<T> {
    async fn push(&mut self, item: T) {
        self.items.push(item);
    }

    async fn pop(&mut self) -> Option<T> {
        self.items.pop()
    }

    async fn len(&self) -> usize {
        self.items.len()
    }
}

fn main() {
    let push: StackPush<String> = StackPush {
        item: "a".to_string(),
    };
    let pop: StackPop<String> = StackPop::new();
    fn reply_of<M: Message<Reply = R>, R>(_: &M) {}
    reply_of::<_, Option<String>>(&pop);
    reply_of::<_, usize>(&StackLen);
    let _: Vec<StackMessage<String>> = vec![push.into(), pop.into(), StackLen.into()];
    fn is_ext<T: Clone + Send + Sync + 'static, R: StackAddrExt<T>>() {}
    is_ext::<u8, Addr<Stack<u8>>>();
    let _ = Stack::<u8> { items: Vec::new() };
}
