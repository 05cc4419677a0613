//! The `#[actor]` attribute of [thespian](https://docs.rs/thespian-actors). Use it through
//! `thespian::actor`, whose documentation describes what it generates.

use proc_macro::TokenStream;

mod expand;
mod model;

/// Makes an actor of the type an `impl` block is for: its message types, its message enum, its
/// `Actor` implementation and typed methods on its address.
///
/// ```
/// use std::time::Duration;
/// use thespian::prelude::*;
///
/// #[derive(Default)]
/// struct Counter { total: u64 }
///
/// #[actor]
/// impl Counter {
///     async fn add(&mut self, n: u64) { self.total += n; }
///     async fn total(&self) -> u64 { self.total }
///     async fn take(&mut self, n: u64) -> Result<u64, String> {
///         self.total = self.total.checked_sub(n).ok_or("not enough")?;
///         Ok(self.total)
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let counter = system.create_actor(Counter::default()).await?;
/// counter.add(5).tell().await?;                    // a tell: the call site says so
/// assert_eq!(counter.total().ask().await?, 5);     // an ask, with the default timeout
/// assert_eq!(counter.total().timeout(Duration::from_millis(100)).ask().await?, 5);
/// assert_eq!(counter.take(2).ask().await?, 3);     // the handler's error is flattened:
/// assert_eq!(counter.take(9).ask().await, Err(AskError::Handler("not enough".into())));
/// assert_eq!(system.ask(&counter, CounterTotal, Duration::from_secs(1)).await?, 3);
/// # system.shutdown().await;
/// # Ok(())
/// # }
/// ```
///
/// # What it generates
///
/// For each handler (an `async fn` taking `&mut self` or `&self`):
/// * a message struct named after the actor and the method in PascalCase (`Counter::add` →
///   `CounterAdd`, so that two actors of one module never make the same type, nor a handler one
///   named like a type of yours; `#[message(name = "N")]` names it `N`), with the arguments as
///   fields, the method's visibility, and serde derives (turn them off with `no_serde`; none
///   without the core's feature `remote`); a handler
///   without arguments makes a unit struct (`CounterTotal`);
/// * `impl Message` with the return type as `Reply` (`()` when it returns nothing);
/// * a variant of the message enum `{Actor}Message`, named after the method (`CounterMessage::Add`),
///   and `From<CounterAdd> for CounterMessage`;
/// * a method on the address trait `{Actor}AddrExt` (implemented for `Addr<Counter>` and troupes)
///   that makes a `Request` and sends nothing: the caller chooses `.tell()` (awaited:
///   `Result<(), SendError<CounterAdd>>`), `.try_tell()` or `.ask()` (awaited: `Result<Reply,
///   AskError>`, with the address's timeout unless `.timeout(d)` gives another). Any handler can
///   be told or asked: an asked handler that returns nothing answers `()` once it is done.
///   A handler returning `Result<T, E>` (written `Result<..>`, including aliases such as
///   `io::Result<T>`) makes a `Request` of the `Fallible` kind, whose ask gives
///   `Result<T, AskError<E>>` with the handler's error in `AskError::Handler`; told, its error is
///   reported as a `tracing` warning (so `E` must be `Debug`).
///
/// <details><summary>The code generated for <code>Counter</code> (abridged)</summary>
///
/// ```text
/// pub struct CounterAdd { pub n: u64 }
/// impl thespian::Message for CounterAdd { type Reply = (); }
/// pub struct CounterTotal;
/// impl thespian::Message for CounterTotal { type Reply = u64; }
/// pub struct CounterTake { pub n: u64 }
/// impl thespian::Message for CounterTake { type Reply = Result<u64, String>; }
///
/// pub enum CounterMessage { Add(CounterAdd), Total(CounterTotal) }
/// impl From<CounterAdd> for CounterMessage { .. }
/// impl From<CounterTotal> for CounterMessage { .. }
///
/// impl thespian::Actor for Counter {
///     type Message = CounterMessage;
///     async fn handle(&mut self, message: CounterMessage, ctx: &mut Context<Self>) {
///         match message {
///             CounterMessage::Add(CounterAdd { n, .. }) => {
///                 let reply = Self::add(self, n).await;
///                 ctx.answer(reply);          // completes an ask; nothing for a tell
///                                             // (`answer_result` for a `Result`: a told
///                                             // error is reported)
///             }
///             CounterMessage::Total(CounterTotal) => {
///                 let reply = Self::total(self).await;
///                 ctx.answer(reply);
///             }
///         }
///     }
///     fn type_name() -> &'static str { concat!(module_path!(), "::", "Counter") }
/// }
///
/// impl thespian::Mail for CounterMessage {
///     fn copy(..) { .. }        // a copy for a retry and the poison notice, when Clone
///     fn from_any(..) { .. }    // accepts `CounterAdd`, `CounterTotal` or `CounterMessage`
///     fn into_any(..) { .. }    // boxes the struct inside the variant
///     fn name(..) { .. }        // "CounterAdd", "CounterTotal"
///     fn to_wire(..) { .. }     // serde, unless `no_serde`
///     fn from_wire(..) { .. }
/// }
///
/// pub trait CounterAddrExt: thespian::AsAddr<Counter> {
///     fn add(&self, n: u64) -> Request<'_, Counter, CounterAdd> { .. }   // sends nothing yet
///     fn total(&self) -> Request<'_, Counter, CounterTotal> { .. }
///     fn take(&self, n: u64) -> Request<'_, Counter, CounterTake, Fallible> { .. }
/// }
/// impl<R: thespian::AsAddr<Counter> + ?Sized> CounterAddrExt for R {}
/// ```
/// </details>
///
/// # Handler arguments
///
/// * Plain `name: Type` arguments become message fields (no patterns, no references).
/// * `ctx: &mut Context<Self>` (or `&Context<Self>`), anywhere in the list, receives the context.
/// * `reply: ReplyHandle<T>` makes `T` the reply type and hands the handler the right to answer
///   later or elsewhere; the handler then returns nothing. For a message that was only told, the
///   handle sends its answer to the sender.
/// * `#[receive]` on a handler with one argument of a type of yours that implements `Message`:
///   that type is used as the message as is, so several actors can accept the same message.
///
/// Handlers may return `()`, a value, or a `Result` (its error is flattened into the ask's
/// `AskError<E>`; to a hand-written `addr.ask(msg, timeout)`, the `Result` is the reply as a
/// whole).
///
/// # Method attributes
///
/// | attribute | signature | what |
/// |---|---|---|
/// | `#[message(name = "N")]` | a handler | names its message type `N` |
/// | `#[message(retry)]` | a handler | hands its message to it once more after a panic (see below) |
/// | `#[receive]`, `#[receive(retry)]` | a handler of one `Message` argument | uses that type as the message (retried after a panic) |
/// | `#[started]` | `async fn(&mut self[, ctx])` | runs before the first message |
/// | `#[stopping]` | `async fn(&mut self[, ctx])` | runs when asked to exit |
/// | `#[child_exited]` | `async fn(&mut self, ChildActorExited[, ctx])` | a child ended |
/// | `#[watched_exited]` | `async fn(&mut self, WatchedActorExited[, ctx])` | an actor it watches ended |
/// | `#[dead_letter]` | `async fn(&mut self, DeadEnvelope[, ctx])` | an undeliverable message (for the registered handler) |
/// | `#[poisoned]` | `async fn(&mut self, PoisonMessage[, ctx])` | a message it sent failed |
/// | `#[wakeup]` | `async fn(&mut self, WakeupMessage[, ctx])` | a wake-up from `ctx.wakeup_after` is due |
/// | `#[capability_check]` | `fn(&Capabilities, &Capabilities) -> bool` | may it run on a system with these capabilities, given these requirements |
/// | `#[helper]` | any `fn` | a plain method, not a handler |
///
/// ```
/// use thespian::prelude::*;
/// use thespian::{Capabilities, ChildActorExited};
///
/// struct Supervisor { started: bool, exits: usize }
///
/// #[actor]
/// impl Supervisor {
///     async fn exits(&self) -> usize { self.exits }
///
///     #[started]
///     async fn on_start(&mut self) { self.started = true; }
///
///     #[child_exited]
///     async fn on_child_exited(&mut self, _exited: ChildActorExited, ctx: &mut Context<Self>) {
///         self.exits += 1;
///         let _ = ctx.children().count();
///     }
///
///     #[capability_check]
///     fn check(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
///         capabilities.is_true("supervisors")
///     }
///
///     #[helper]
///     fn is_started(&self) -> bool { self.started }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let plain = ActorSystem::new();
/// let refused = plain.create_actor(Supervisor { started: false, exits: 0 }).await;
/// assert!(refused.is_err());
/// let able = ActorSystem::builder().capability("supervisors", true).build();
/// let sup = able.create_actor(Supervisor { started: false, exits: 0 }).await.unwrap();
/// assert_eq!(sup.exits().ask().await, Ok(0));
/// # able.shutdown().await;
/// # }
/// ```
///
/// # Actor options
///
/// `#[actor(name = "stable.Name", message = EnumName, vis = pub(crate), derive(Clone, Debug),
/// no_serde, retry, crate = path::to::thespian)]`: the stable type name used to create the actor
/// remotely (default: module path and type name), the enum's name, the visibility of the enum and
/// address trait (default `pub`), derives added to every generated type, no serde derives (for
/// arguments that cannot be serialized), retries for every handler, and where the generated code
/// finds the `thespian` crate (default `::thespian`; give it when the dependency is renamed, or
/// reached through another crate's re-export).
///
/// # Retries
///
/// A handler that panics poisons its message: the sender hears of it and the actor goes on. A
/// retry (the message handed to the actor `thespian::RETRIES` more
/// time(s) first) is a choice, since it runs the handler's side effects twice: `retry` on the
/// actor or `#[message(retry)]` on one handler. A retried message is copied before it is handled,
/// so the macro derives `Clone` for it (an argument that cannot be cloned is reported at `retry`);
/// a `#[receive(retry)]` message must be `Clone` already. Deriving `Clone` for other reasons
/// retries nothing.
///
/// # Generic actors
///
/// `impl<T: ...> Stack<T>` works: each message struct carries the parameters its fields or reply
/// use; a parameter used only by the reply adds a hidden marker field, so such a message is built
/// with its generated `new` (`StackPop::new()`). Generic *handlers* (`async fn f<T>`) cannot be
/// messages and are refused with an explanation; lifetime and const parameters likewise.
#[proc_macro_attribute]
pub fn actor(attr: TokenStream, item: TokenStream) -> TokenStream {
    let options = match model::parse_options(attr.into()) {
        Ok(o) => o,
        Err(e) => return e.to_compile_error().into(),
    };
    let item = match syn::parse::<syn::ItemImpl>(item) {
        Ok(i) => i,
        Err(e) => {
            return syn::Error::new(
                e.span(),
                "`#[actor]` goes on an `impl` block: `#[actor] impl MyActor { async fn handler(&mut self) {} }`",
            )
            .to_compile_error()
            .into()
        }
    };
    match model::ActorModel::read(options, item) {
        Ok(model) => expand::expand(model).into(),
        Err(e) => e.to_compile_error().into(),
    }
}
