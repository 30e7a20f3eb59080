//! The behaviour suite (`safeframe_tests::doors`) on the core itself. The bindings crate runs
//! the same suite through its uniffi objects and its C ABI (bindings/tests/behaviour.rs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use safeframe::classifier::ClassifierOptions;
use safeframe::filter::{Filter, OnError};
use safeframe::policy::{Policy, Preset, Verdict};
use safeframe::second_opinion::SecondOpinion;
use safeframe::stream::{StreamFilter, StreamSettings};
use safeframe::SafeFrameError;
use safeframe_tests::doors::{self, Counts, DoorError, Doors, Facts, FilterDoor, Outcome, StreamDoor};
use safeframe_tests::frames::TestFrame;
use safeframe_tests::oracle_classifier;

struct Core;

/// The core error's variant name (`InvalidFrame`) and message.
fn door_error(error: SafeFrameError) -> DoorError {
    let debug = format!("{error:?}");
    let kind = debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_owned();
    DoorError {
        kind,
        message: error.to_string(),
    }
}

fn outcome(verdict: &Verdict) -> Outcome {
    Outcome {
        action: verdict.action,
        category: verdict.category,
        porn: verdict.scores.porn,
    }
}

fn on_error(fail_open: bool) -> OnError {
    if fail_open {
        OnError::FailOpen
    } else {
        OnError::FailClosed
    }
}

/// The core filter behind the suite's door.
struct CoreFilter(Filter);

/// The core stream behind the suite's door.
struct CoreStream(StreamFilter);

impl FilterDoor for CoreFilter {
    fn check(&self, frame: &TestFrame, facts: &Facts) -> Result<Outcome, DoorError> {
        let views: Vec<&[u8]> = frame.planes.iter().map(Vec::as_slice).collect();
        let result = doors::description(frame, facts)
            .and_then(|d| d.frame(&views))
            .and_then(|f| self.0.check(&f));
        result.map(|v| outcome(&v)).map_err(door_error)
    }

    fn filter(&self, frame: &mut TestFrame, facts: &Facts) -> (Option<Outcome>, Option<DoorError>) {
        let description = match doors::description(frame, facts) {
            Ok(d) => d,
            Err(e) => return (None, Some(door_error(e))),
        };
        let mut view = match description.frame_mut(frame.planes.iter_mut().map(Vec::as_mut_slice)) {
            Ok(v) => v,
            Err(e) => return (None, Some(door_error(e))),
        };
        let applied = self.0.apply(&mut view);
        (Some(outcome(&applied.verdict)), applied.error.map(door_error))
    }

    fn returns_pixels_on_error(&self) -> bool {
        true
    }
}

impl StreamDoor for CoreStream {
    fn process(&self, frame: &mut TestFrame, facts: &Facts) -> Result<Outcome, DoorError> {
        let description = doors::description(frame, facts).map_err(door_error)?;
        let mut view = description
            .frame_mut(frame.planes.iter_mut().map(Vec::as_mut_slice))
            .map_err(door_error)?;
        Ok(outcome(&self.0.process(&mut view)))
    }

    fn counts(&self) -> Counts {
        let c = self.0.counters();
        Counts {
            frames: c.frames,
            classified: c.classified,
            reused: c.reused,
            blocked: c.blocked,
        }
    }
}

impl Doors for Core {
    fn name(&self) -> &'static str {
        "core"
    }

    fn filter(&self, preset: Preset, fail_open: bool) -> Box<dyn FilterDoor> {
        Box::new(CoreFilter(
            Filter::new(oracle_classifier("oracle"), Policy::preset(preset), on_error(fail_open)).unwrap(),
        ))
    }

    fn filter_with_failing_second(&self, fail_open: bool) -> Option<Box<dyn FilterDoor>> {
        let pack = doors::oracle_pack_with_corrupt_model();
        // The signature verifies now; the corrupt model is found when a frame first needs it.
        let second = SecondOpinion::from_bytes(
            pack.manifest,
            Some(pack.signature),
            pack.onnx,
            &ClassifierOptions::default(),
        )
        .unwrap();
        let policy = Policy::from_source(doors::TWO_MODEL_POLICY, true).unwrap();
        let filter = Filter::cascade(
            Arc::new(oracle_classifier("oracle")),
            Some(Arc::new(second)),
            policy,
            on_error(fail_open),
        )
        .unwrap();
        Some(Box::new(CoreFilter(filter)))
    }

    fn stream(&self, settings: &StreamSettings) -> Result<Box<dyn StreamDoor>, DoorError> {
        let config = settings.to_config(Policy::preset(Preset::Child)).map_err(door_error)?;
        let stream = StreamFilter::with_classifier(oracle_classifier("oracle"), config).map_err(door_error)?;
        Ok(Box::new(CoreStream(stream)))
    }
}

#[test]
fn the_behaviour_suite_passes_on_the_core() {
    doors::run_all(&Core);
}
