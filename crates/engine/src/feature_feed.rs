//! Where the engine's minute snapshots come from: the feature engine itself ([`FeatureFeed`]
//! from a [`FeatureEngine`]), or a [`FeatureRecording`] of the same feature engine over the
//! same events. The feature stream depends only on the events and on the feature engine's
//! configuration (SPEC 2: features never see orders, positions or strategy keys), so a grid
//! records it once per distinct feature configuration and every combination of that
//! configuration replays it. The engine makes the same calls either way and the strategy
//! receives the same snapshots at the same points of the loop: it cannot tell which it has.
//!
//! The feed also owns the engine's minute clock rule (when minutes that ended before an
//! event close: step 1 of the loop), so a recording and a live run call the feature engine
//! in exactly the same sequence.

use std::sync::Arc;

use auction_trader_features::{
    ClassifiedTrade, FeatureConfig, FeatureEngine, FeatureSink, FeatureSnapshot,
};
use auction_trader_types::{MarketEvent, Price, UnixNanos};

/// The feature engine's snapshots as the engine loop consumes them.
#[derive(Debug)]
pub struct FeatureFeed {
    source: Source,
    /// Bar-only input so far (a Bar seen, no trade yet): the feature engine closes minutes
    /// itself when it takes the event, mirroring its bar-mode clock.
    bar_mode: bool,
    trades_seen: bool,
    /// Events handed to [`FeatureFeed::on_event`] so far.
    events: u64,
}

#[derive(Debug)]
enum Source {
    Live(Box<FeatureEngine>),
    Recording {
        engine: Box<FeatureEngine>,
        snapshots: Vec<RecordedSnapshot>,
    },
    Replay {
        recording: Arc<FeatureRecording>,
        next: usize,
        /// Call and close time of the snapshot at `next` (kept here so that the check made
        /// twice per event does not read the shared recording).
        due: Due,
    },
}

/// When the next recorded snapshot is handed over: at a call at or after `call` whose time
/// is at or after `ts`.
#[derive(Debug, Clone, Copy)]
struct Due {
    call: u64,
    ts: UnixNanos,
}

impl Due {
    fn of(recording: &FeatureRecording, next: usize) -> Self {
        recording.snapshots.get(next).map_or(
            Self {
                call: u64::MAX,
                ts: UnixNanos(i64::MAX),
            },
            |recorded| Self {
                call: recorded.call,
                ts: recorded.snapshot.ts,
            },
        )
    }
}

/// A snapshot and the call that produced it: twice the index of the event being handled,
/// plus one for the event's own call (loop step 4) rather than the minute closes before it
/// (step 1).
#[derive(Debug, Clone)]
struct RecordedSnapshot {
    call: u64,
    snapshot: FeatureSnapshot,
}

/// Every snapshot one feature engine produced over one event sequence, with the call that
/// produced it; shared read-only by the engines that replay it.
#[derive(Debug, Clone)]
pub struct FeatureRecording {
    config: FeatureConfig,
    tick_size: Price,
    events: u64,
    snapshots: Vec<RecordedSnapshot>,
}

impl FeatureRecording {
    /// Runs `engine` over `events` with the engine loop's call sequence and keeps what it
    /// produced.
    pub fn record(engine: FeatureEngine, events: &[MarketEvent]) -> Self {
        let mut feed = FeatureFeed::recording(engine);
        for event in events {
            feed.before_event(event, &mut Discard);
            feed.on_event(event, &mut Discard);
        }
        feed.into_recording()
            .unwrap_or_else(|| unreachable!("a recording feed yields its recording"))
    }

    /// Events the recording covers.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Snapshots recorded (one per closed minute).
    pub fn snapshots(&self) -> usize {
        self.snapshots.len()
    }

    /// Whether `engine` (fresh) would produce this recording over the same events: the same
    /// feature configuration and tick size.
    pub fn is_of(&self, engine: &FeatureEngine) -> bool {
        self.config == *engine.config() && self.tick_size == engine.tick_size()
    }
}

/// A sink that drops what it receives (recording alone).
struct Discard;

impl FeatureSink for Discard {
    fn on_snapshot(&mut self, _snapshot: &FeatureSnapshot) {}
}

/// Passes everything on and keeps a copy of each snapshot with its call.
struct Tap<'a, S> {
    inner: &'a mut S,
    call: u64,
    out: &'a mut Vec<RecordedSnapshot>,
}

impl<S: FeatureSink> FeatureSink for Tap<'_, S> {
    fn on_snapshot(&mut self, snapshot: &FeatureSnapshot) {
        self.out.push(RecordedSnapshot {
            call: self.call,
            snapshot: snapshot.clone(),
        });
        self.inner.on_snapshot(snapshot);
    }

    fn on_trade(&mut self, trade: &ClassifiedTrade) {
        self.inner.on_trade(trade);
    }
}

impl From<FeatureEngine> for FeatureFeed {
    /// The feature engine itself (single runs, live).
    fn from(engine: FeatureEngine) -> Self {
        Self::with_source(Source::Live(Box::new(engine)))
    }
}

impl FeatureFeed {
    fn with_source(source: Source) -> Self {
        Self {
            source,
            bar_mode: false,
            trades_seen: false,
            events: 0,
        }
    }

    /// The feature engine, keeping a copy of every snapshot (see
    /// [`FeatureFeed::into_recording`]).
    pub fn recording(engine: FeatureEngine) -> Self {
        Self::with_source(Source::Recording {
            engine: Box::new(engine),
            snapshots: Vec::new(),
        })
    }

    /// Replays `recording` in place of `engine` (a fresh engine of the run's configuration);
    /// `None` when the recording was made with another feature configuration or tick size.
    /// The events must be the ones recorded, in the same order.
    pub fn replay(recording: Arc<FeatureRecording>, engine: &FeatureEngine) -> Option<Self> {
        recording.is_of(engine).then(|| {
            let due = Due::of(&recording, 0);
            Self::with_source(Source::Replay {
                recording,
                next: 0,
                due,
            })
        })
    }

    /// What a recording feed recorded (`None` for the other feeds).
    pub fn into_recording(self) -> Option<FeatureRecording> {
        match self.source {
            Source::Recording { engine, snapshots } => Some(FeatureRecording {
                config: engine.config().clone(),
                tick_size: engine.tick_size(),
                events: self.events,
                snapshots,
            }),
            Source::Live(_) | Source::Replay { .. } => None,
        }
    }

    /// A trade event has been seen (bars stop standing for the prints).
    pub fn trades_seen(&self) -> bool {
        self.trades_seen
    }

    /// Loop step 1: minutes that ended at or before `event` close, unless the feature engine
    /// closes the minute itself when it takes the event (a bar, or any event of bar-only
    /// input): closing here would close the bar's minute empty before its data arrives.
    #[inline]
    pub fn before_event(&mut self, event: &MarketEvent, sink: &mut impl FeatureSink) {
        let closes_own_minutes = match event {
            MarketEvent::Bar(_) => {
                self.bar_mode = !self.trades_seen;
                true
            }
            MarketEvent::Trade(_) => {
                self.trades_seen = true;
                self.bar_mode = false;
                false
            }
            _ => self.bar_mode,
        };
        if !closes_own_minutes {
            self.advance(event.ts_recv(), self.events * 2, sink);
        }
    }

    /// Loop step 4: the feature engine takes the event.
    #[inline]
    pub fn on_event(&mut self, event: &MarketEvent, sink: &mut impl FeatureSink) {
        let call = self.events * 2 + 1;
        match &mut self.source {
            Source::Live(engine) => engine.on_event(event, sink),
            Source::Recording { engine, snapshots } => engine.on_event(
                event,
                &mut Tap {
                    inner: sink,
                    call,
                    out: snapshots,
                },
            ),
            Source::Replay {
                recording,
                next,
                due,
            } => {
                debug_assert!(
                    self.events < recording.events,
                    "replayed past the recording"
                );
                replay_call(recording, next, due, call, event.ts_recv(), sink);
            }
        }
        self.events += 1;
    }

    /// Closes the minutes that ended at or before `now` without an event (a live timer).
    pub fn advance_to(&mut self, now: UnixNanos, sink: &mut impl FeatureSink) {
        self.advance(now, self.events * 2, sink);
    }

    #[inline]
    fn advance(&mut self, now: UnixNanos, call: u64, sink: &mut impl FeatureSink) {
        match &mut self.source {
            Source::Live(engine) => engine.advance_to(now, sink),
            Source::Recording { engine, snapshots } => engine.advance_to(
                now,
                &mut Tap {
                    inner: sink,
                    call,
                    out: snapshots,
                },
            ),
            Source::Replay {
                recording,
                next,
                due,
            } => replay_call(recording, next, due, call, now, sink),
        }
    }
}

/// Hands over the recorded snapshots of `call` (and of earlier calls) that closed at or
/// before `now`: every one of them when the call sequence is the recorded one; a timer call
/// the recording did not have gets the minutes that had ended by its time, a later call the
/// rest.
#[inline]
fn replay_call(
    recording: &FeatureRecording,
    next: &mut usize,
    due: &mut Due,
    call: u64,
    now: UnixNanos,
    sink: &mut impl FeatureSink,
) {
    while due.call <= call && due.ts <= now {
        let Some(recorded) = recording.snapshots.get(*next) else {
            break;
        };
        sink.on_snapshot(&recorded.snapshot);
        *next += 1;
        *due = Due::of(recording, *next);
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_testkit::events::{bar, price, quote, trade};
    use auction_trader_types::{AggressorSide, NANOS_PER_MINUTE, NANOS_PER_SECOND};

    use super::*;

    fn at(seconds: i64) -> UnixNanos {
        UnixNanos(seconds * NANOS_PER_SECOND)
    }

    fn engine() -> FeatureEngine {
        FeatureEngine::new(&FeatureConfig::default(), price("0.5")).unwrap()
    }

    /// Keeps `(call, minute close)` of every snapshot, the call set by the driver.
    #[derive(Default)]
    struct Calls {
        call: u64,
        seen: Vec<(u64, UnixNanos)>,
    }

    impl FeatureSink for Calls {
        fn on_snapshot(&mut self, snapshot: &FeatureSnapshot) {
            self.seen.push((self.call, snapshot.ts));
        }
    }

    /// Drives `feed` as the engine loop does (steps 1 and 4 per event).
    fn drive(mut feed: FeatureFeed, events: &[MarketEvent]) -> Vec<(u64, UnixNanos)> {
        let mut sink = Calls::default();
        for (index, event) in events.iter().enumerate() {
            sink.call = index as u64 * 2;
            feed.before_event(event, &mut sink);
            sink.call += 1;
            feed.on_event(event, &mut sink);
        }
        sink.seen
    }

    fn ticks() -> Vec<MarketEvent> {
        vec![
            trade(at(10), "100", "1", AggressorSide::Buy),
            quote(at(30), "99.5", "2", "100.5", "3"),
            // Closes minute 0 in step 1 of event 2 (call 4).
            trade(at(65), "101", "1", AggressorSide::Sell),
            // Closes minutes 1 and 2 in step 1 of event 3 (call 6).
            trade(at(180), "102", "1", AggressorSide::Buy),
        ]
    }

    #[test]
    fn a_replay_hands_over_the_live_snapshots_at_the_same_calls() {
        let events = ticks();
        let live = drive(FeatureFeed::from(engine()), &events);
        assert_eq!(
            live,
            vec![(4, at(60)), (6, at(120)), (6, at(180))],
            "minute closes of the live engine"
        );
        let recording = Arc::new(FeatureRecording::record(engine(), &events));
        assert_eq!((recording.events(), recording.snapshots()), (4, 3));
        let replay = FeatureFeed::replay(Arc::clone(&recording), &engine()).unwrap();
        assert_eq!(drive(replay, &events), live);
    }

    #[test]
    fn bar_input_closes_its_minutes_in_the_event_call() {
        let minute = NANOS_PER_MINUTE / NANOS_PER_SECOND;
        let events = vec![
            bar(at(minute), "100", "101", "99", "100.5"),
            bar(at(2 * minute), "100.5", "102", "100", "101"),
            bar(at(3 * minute), "101", "101.5", "100", "100"),
        ];
        let live = drive(FeatureFeed::from(engine()), &events);
        assert_eq!(
            live,
            vec![(1, at(minute)), (3, at(2 * minute)), (5, at(3 * minute))]
        );
        let recording = Arc::new(FeatureRecording::record(engine(), &events));
        let replay = FeatureFeed::replay(recording, &engine()).unwrap();
        assert_eq!(drive(replay, &events), live);
    }

    #[test]
    fn a_timer_call_the_recording_lacks_gets_only_the_minutes_ended_by_its_time() {
        let events = ticks();
        let recording = Arc::new(FeatureRecording::record(engine(), &events));
        let mut replay = FeatureFeed::replay(recording, &engine()).unwrap();
        let mut sink = Calls::default();
        for event in &events[..3] {
            replay.before_event(event, &mut sink);
            replay.on_event(event, &mut sink);
        }
        assert_eq!(sink.seen, vec![(0, at(60))]);
        // A timer at 2:30 closes minute 1 (ends 2:00), not minute 2 (ends 3:00) ...
        replay.advance_to(at(150), &mut sink);
        assert_eq!(sink.seen.len(), 2);
        assert_eq!(sink.seen[1].1, at(120));
        // ... which the next event's step 1 closes.
        replay.before_event(&events[3], &mut sink);
        assert_eq!(sink.seen.len(), 3);
        assert_eq!(sink.seen[2].1, at(180));
    }

    #[test]
    fn a_recording_serves_only_its_own_feature_configuration() {
        let recording = Arc::new(FeatureRecording::record(engine(), &ticks()));
        let wider = FeatureConfig {
            value_area_fraction: 0.6,
            ..FeatureConfig::default()
        };
        let other = FeatureEngine::new(&wider, price("0.5")).unwrap();
        assert!(FeatureFeed::replay(Arc::clone(&recording), &other).is_none());
        let coarser = FeatureEngine::new(&FeatureConfig::default(), price("1")).unwrap();
        assert!(FeatureFeed::replay(Arc::clone(&recording), &coarser).is_none());
        assert!(FeatureFeed::replay(recording, &engine()).is_some());
        // A live feed has no recording to give.
        assert!(FeatureFeed::from(engine()).into_recording().is_none());
    }
}
