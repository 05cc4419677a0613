//! Chapter 4: timers.
//!
//! An actor that must do something later asks the system to remind it, and goes on handling
//! messages meanwhile. It does not sleep in a handler: while a handler awaits, its actor
//! handles nothing else.
//!
//! * [`Context::wakeup_after(delay, payload)`](crate::Context::wakeup_after) delivers a
//!   [`WakeupMessage`](crate::WakeupMessage) carrying `payload` to the `#[wakeup]` hook
//!   (Thespian's `wakeupAfter`). Many may be pending.
//! * [`Context::notify_after(delay, msg)`](crate::Context::notify_after) sends the actor one of
//!   its own messages later, with itself as the sender.
//! * Both return a [`TimerId`](crate::TimerId);
//!   [`Context::cancel`](crate::Context::cancel) cancels one, and says whether it was still
//!   pending.
//!
//! **The rule that matters:** timers belong to the actor. They end with it, however it ends:
//! nothing is delivered after it has exited. On the sequential base (chapter 6) they run in
//! virtual time, so an hour of timers passes at once in a test.
//!
//! A wake-up, answering an ask that waits for it (the payload says which):
//!
//! ```
//! use std::collections::HashMap;
//! use std::time::Duration;
//! use thespian::prelude::*;
//!
//! #[derive(Default)]
//! struct Reminder { next: u64, waiting: HashMap<u64, (String, ReplyHandle<String>)> }
//!
//! #[actor]
//! impl Reminder {
//!     /// Answers with `note` after `ms` milliseconds.
//!     async fn remind(&mut self, note: String, ms: u64, reply: ReplyHandle<String>,
//!                     ctx: &mut Context<Self>) {
//!         self.next += 1;
//!         self.waiting.insert(self.next, (note, reply));
//!         ctx.wakeup_after(Duration::from_millis(ms), self.next);
//!     }
//!
//!     #[wakeup]
//!     async fn on_wakeup(&mut self, wakeup: WakeupMessage) {
//!         let Ok(key) = wakeup.payload.downcast::<u64>() else { return };
//!         if let Some((note, reply)) = self.waiting.remove(&key) {
//!             let _ = reply.send(note);
//!         }
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let reminder = system.create_actor(Reminder::default()).await?;
//! let tea = reminder.remind("tea".into(), 20).ask();      // both pending at once
//! let call = reminder.remind("call".into(), 5).ask();
//! assert_eq!(call.await?, "call");
//! assert_eq!(tea.await?, "tea");
//! system.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! A delayed message of the actor's own, scheduling the next one:
//!
//! ```
//! use std::time::Duration;
//! use thespian::prelude::*;
//!
//! #[derive(Default)]
//! struct Metronome { ticks: u32, wanted: u32, done: Option<ReplyHandle<u32>>, own: bool }
//!
//! #[actor]
//! impl Metronome {
//!     /// Answers after `wanted` ticks, 2 ms apart.
//!     async fn start(&mut self, wanted: u32, done: ReplyHandle<u32>, ctx: &mut Context<Self>) {
//!         (self.wanted, self.done) = (wanted, Some(done));
//!         ctx.notify_after(Duration::from_millis(2), MetronomeTick);
//!     }
//!
//!     async fn tick(&mut self, ctx: &mut Context<Self>) {
//!         self.own = ctx.sender() == ctx.myself().address(); // sent by itself
//!         self.ticks += 1;
//!         if self.ticks < self.wanted {
//!             ctx.notify_after(Duration::from_millis(2), MetronomeTick);
//!         } else if let Some(done) = self.done.take() {
//!             let _ = done.send(self.ticks);
//!         }
//!     }
//!
//!     async fn sent_by_itself(&self) -> bool { self.own }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let metronome = system.create_actor(Metronome::default()).await?;
//! assert_eq!(metronome.start(3).ask().await?, 3);
//! assert!(metronome.sent_by_itself().ask().await?);
//! system.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Cancelling: a saver that writes only after a quiet second, however many edits come. Each
//! edit cancels the pending save and schedules another. It runs here on the sequential base,
//! whose virtual clock makes the second pass at once and the outcome the same every run.
//!
//! ```
//! use std::time::Duration;
//! use thespian::prelude::*;
//! use thespian::TimerId;
//!
//! #[derive(Default)]
//! struct Saver { text: String, pending: Option<TimerId>, cancelled: u32,
//!                saved: Option<String>, waiting: Option<ReplyHandle<String>> }
//!
//! #[actor]
//! impl Saver {
//!     async fn edit(&mut self, text: String, ctx: &mut Context<Self>) {
//!         self.text = text;
//!         if let Some(id) = self.pending.take() {
//!             if ctx.cancel(id) { self.cancelled += 1; }      // still pending: cancelled
//!         }
//!         self.pending = Some(ctx.wakeup_after(Duration::from_secs(1), ()));
//!     }
//!
//!     #[wakeup]
//!     async fn save(&mut self, _wakeup: WakeupMessage) {
//!         self.pending = None;
//!         self.saved = Some(self.text.clone());
//!         if let Some(waiting) = self.waiting.take() {
//!             let _ = waiting.send(self.text.clone());
//!         }
//!     }
//!
//!     /// Answers with what was saved, once it is.
//!     async fn saved(&mut self, reply: ReplyHandle<String>) {
//!         match &self.saved {
//!             Some(text) => drop(reply.send(text.clone())),
//!             None => self.waiting = Some(reply),
//!         }
//!     }
//!
//!     async fn cancelled(&self) -> u32 { self.cancelled }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::builder().sequential().build();
//! let saver = system.create_actor(Saver::default()).await?;
//! let start = system.now();
//! for text in ["d", "dr", "draft"] {
//!     saver.edit(text.into()).tell().await?;
//! }
//! assert_eq!(saver.cancelled().ask().await?, 2);   // two saves cancelled, one pending
//! assert_eq!(saver.saved().ask().await?, "draft"); // waits a virtual second
//! assert_eq!(system.now() - start, Duration::from_secs(1));
//! system.shutdown().await;
//! # Ok(())
//! # }
//! ```
