//! Streams: `ctx.attach_stream(stream, on_end)` feeds a stream's items to an actor as messages,
//! in order, then the `on_end` message once the stream has ended. Each item is handled like any
//! message, one at a time, so the actor's state needs no lock; the actor itself is their sender.
//! A bounded mailbox slows the stream down instead of overflowing.
//!
//! Here a sensor, in a task of its own, sends readings down a channel and then hangs up; a meter
//! attaches the channel's receiving end, and sums up once the end message says the sensor is gone.
//!
//! ```text
//! $ cargo run --example streams
//! readings, in the order sent: [19, 17, 20, 22, 23, 21, 18, 20]
//! lowest 17, highest 23, mean 20.0
//! the end message came after reading 8
//! ```

use std::error::Error;

use futures::channel::mpsc;
use futures::StreamExt;
use thespian::prelude::*;

/// What the meter has heard, once the stream has ended.
#[derive(Clone)]
struct Summary {
    readings: Vec<i32>,
    /// How many readings had come when the end message did.
    ended_after: usize,
}

#[derive(Default)]
struct Meter {
    readings: Vec<i32>,
    summary: Option<Summary>,
    /// Who asked for the summary before the stream ended: answered when it ends.
    waiting: Option<ReplyHandle<Summary>>,
}

#[actor(no_serde)]
impl Meter {
    /// Attaches the sensor's channel: each reading becomes a `MeterReading` message, and the
    /// end a `MeterSensorGone` (both as the actor's message enum, the stream's one item type).
    async fn watch(&mut self, sensor: mpsc::UnboundedReceiver<i32>, ctx: &mut Context<Self>) {
        let readings = sensor.map(|celsius| MeterMessage::from(MeterReading { celsius }));
        ctx.attach_stream(readings, Some(MeterSensorGone.into()));
    }

    async fn reading(&mut self, celsius: i32) {
        self.readings.push(celsius);
    }

    /// The end message: the sensor has hung up.
    async fn sensor_gone(&mut self) {
        let summary = Summary {
            readings: self.readings.clone(),
            ended_after: self.readings.len(),
        };
        if let Some(reply) = self.waiting.take() {
            let _ = reply.send(summary.clone());
        }
        self.summary = Some(summary);
    }

    /// The summary, once the stream has ended.
    async fn summary(&mut self, reply: ReplyHandle<Summary>) {
        match &self.summary {
            Some(summary) => {
                let _ = reply.send(summary.clone());
            }
            None => self.waiting = Some(reply),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let system = ActorSystem::new();
    let meter = system.create_actor(Meter::default()).await?;
    let (sensor, readings) = mpsc::unbounded();
    meter.watch(readings).tell().await?;

    // The sensor, elsewhere: sends its readings, then hangs up (dropping `sensor` ends the
    // stream).
    tokio::spawn(async move {
        for celsius in [19, 17, 20, 22, 23, 21, 18, 20] {
            if sensor.unbounded_send(celsius).is_err() {
                return;
            }
        }
    });

    let Summary {
        readings,
        ended_after,
    } = meter.summary().ask().await?;
    println!("readings, in the order sent: {readings:?}");
    let lowest = readings.iter().min().ok_or("no readings")?;
    let highest = readings.iter().max().ok_or("no readings")?;
    let mean = readings.iter().sum::<i32>() as f64 / readings.len() as f64;
    println!("lowest {lowest}, highest {highest}, mean {mean:.1}");
    println!("the end message came after reading {ended_after}");
    system.shutdown().await;
    Ok(())
}
