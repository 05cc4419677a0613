// Every `#[actor(...)]` option, `#[message(name)]`, `#[receive]`, `ReplyHandle` and `Result` replies.
use thespian::prelude::*;

/// A message defined by hand and taken as is by a `#[receive]` handler.
#[derive(Clone, Debug)]
struct Shout(String);

impl Message for Shout {
    type Reply = String;
}

struct Named;

#[actor(name = "demo.Named", message = NamedMsg, vis = pub(crate), derive(Clone, Debug), no_serde)]
impl Named {
    #[message(name = "Renamed")]
    async fn original(&mut self, n: u8) {
        let _ = n;
    }

    #[receive]
    async fn shout(&mut self, shout: Shout) -> String {
        shout.0.to_uppercase()
    }

    async fn later(&mut self, reply: ReplyHandle<String>) {
        drop(reply);
    }

    async fn parse(&self, text: String) -> Result<u8, String> {
        text.parse().map_err(|_| text)
    }
}

fn main() {
    let _ = Named;
    let renamed = Renamed { n: 1 };
    let _: NamedMsg = renamed.clone().into();
    let _ = format!("{:?}", (renamed, NamedLater, NamedParse { text: "1".into() }));
    let _: NamedMsg = Shout("hi".into()).into();
    fn reply_of<M: Message<Reply = R>, R>(_: &M) {}
    reply_of::<_, String>(&NamedLater);
    reply_of::<_, Result<u8, String>>(&NamedParse { text: "1".into() });
    assert_eq!(<Named as Actor>::type_name(), "demo.Named");
    fn is_ext<R: NamedAddrExt>() {}
    is_ext::<Addr<Named>>();
}
