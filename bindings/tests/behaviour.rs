//! The behaviour suite (`safeframe_tests::doors`) through the bindings: the uniffi objects
//! Kotlin and Swift use (their Rust side, with the copying path) and the C ABI (called as C
//! calls it: raw pointers, status codes, out-parameters), so that no door can drift from the
//! core, which runs the same suite in tests/tests/behaviour.rs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

use std::sync::Arc;

use safeframe::frame::PixelFormat as CoreFormat;
use safeframe::policy::{Action as CoreAction, Preset as CorePreset};
use safeframe::stream::{CadenceSetting, StreamSettings};
use safeframe_ffi::{
    Action, Category, CropRect, FilterOptions, Frame, FramePlane, PixelFormat, Policy, Preset, SafeFrameError,
    SafeFrameFilter, SafeFrameStream, StreamCadence, StreamOptions, Verdict,
};
use safeframe_tests::doors::{self, Counts, DoorError, Doors, Facts, FilterDoor, Outcome, StreamDoor};
use safeframe_tests::fixture;
use safeframe_tests::frames::TestFrame;

fn format(format: CoreFormat) -> PixelFormat {
    match format {
        CoreFormat::Rgba8 => PixelFormat::Rgba8,
        CoreFormat::Bgra8 => PixelFormat::Bgra8,
        CoreFormat::Rgb8 => PixelFormat::Rgb8,
        CoreFormat::Nv12 => PixelFormat::Nv12,
        CoreFormat::Nv21 => PixelFormat::Nv21,
        CoreFormat::I420 => PixelFormat::I420,
        _ => PixelFormat::Yuv420888,
    }
}

fn core_action(action: Action) -> CoreAction {
    match action {
        Action::Allow => CoreAction::Allow,
        Action::Warn => CoreAction::Warn,
        Action::Blur => CoreAction::Blur,
        Action::Block => CoreAction::Block,
    }
}

fn action(action: CoreAction) -> Action {
    match action {
        CoreAction::Allow => Action::Allow,
        CoreAction::Warn => Action::Warn,
        CoreAction::Blur => Action::Blur,
        _ => Action::Block,
    }
}

fn category(category: Category) -> safeframe::scores::Category {
    use safeframe::scores::Category as C;
    match category {
        Category::Drawing => C::Drawing,
        Category::Hentai => C::Hentai,
        Category::Neutral => C::Neutral,
        Category::Porn => C::Porn,
        Category::Sexy => C::Sexy,
        Category::Known => C::Known,
    }
}

/// The uniffi description of a test frame: what a Kotlin or Swift caller writes.
fn describe(frame: &TestFrame, facts: &Facts) -> Frame {
    Frame {
        width: frame.width as i32,
        height: frame.height as i32,
        format: format(frame.format),
        planes: frame
            .strides
            .iter()
            .map(|&(row, pixel)| FramePlane {
                row_stride: row as i32,
                pixel_stride: pixel as i32,
            })
            .collect(),
        rotation_degrees: facts.rotation_degrees as i32,
        crop: facts.crop.map(|c| CropRect {
            x: c.x as i32,
            y: c.y as i32,
            width: c.width as i32,
            height: c.height as i32,
        }),
        timestamp_ns: facts.timestamp_ns,
        full_range: frame.color.range == safeframe::frame::YuvRange::Full,
    }
}

fn outcome(verdict: &Verdict) -> Outcome {
    Outcome {
        action: core_action(verdict.action),
        category: verdict.category.map(category),
        porn: verdict.scores.porn,
    }
}

fn door_error(error: SafeFrameError) -> DoorError {
    DoorError {
        kind: error.kind().name().to_owned(),
        message: error.message().to_owned(),
    }
}

struct Uniffi;

struct UniffiFilter(Arc<SafeFrameFilter>);

struct UniffiStream(Arc<SafeFrameStream>);

impl FilterDoor for UniffiFilter {
    fn check(&self, frame: &TestFrame, facts: &Facts) -> Result<Outcome, DoorError> {
        let verdict = self.0.check_frame(describe(frame, facts), frame.planes.clone());
        verdict.map(|v| outcome(&v)).map_err(door_error)
    }

    fn filter(&self, frame: &mut TestFrame, facts: &Facts) -> (Option<Outcome>, Option<DoorError>) {
        match self.0.filter_frame(describe(frame, facts), frame.planes.clone()) {
            Ok(filtered) => {
                frame.planes = filtered.planes;
                (Some(outcome(&filtered.verdict)), None)
            }
            Err(error) => (None, Some(door_error(error))),
        }
    }

    fn returns_pixels_on_error(&self) -> bool {
        false
    }
}

impl StreamDoor for UniffiStream {
    fn process(&self, frame: &mut TestFrame, facts: &Facts) -> Result<Outcome, DoorError> {
        let filtered = self
            .0
            .process_frame(describe(frame, facts), frame.planes.clone())
            .map_err(door_error)?;
        frame.planes = filtered.planes;
        Ok(outcome(&filtered.verdict))
    }

    fn counts(&self) -> Counts {
        let c = self.0.counters();
        let n = |v: i64| u64::try_from(v).unwrap();
        Counts {
            frames: n(c.frames),
            classified: n(c.classified),
            reused: n(c.reused),
            blocked: n(c.blocked),
        }
    }
}

fn oracle_dir() -> String {
    fixture("oracle/oracle").to_string_lossy().into_owned()
}

fn preset(preset: CorePreset) -> Preset {
    match preset {
        CorePreset::Child => Preset::Child,
        CorePreset::Teen => Preset::Teen,
        _ => Preset::Adult,
    }
}

fn cadence(setting: CadenceSetting) -> StreamCadence {
    match setting {
        CadenceSetting::EveryFrame => StreamCadence::EveryFrame,
        CadenceSetting::EveryNth(k) => StreamCadence::EveryNth { k: k as i32 },
        CadenceSetting::MinIntervalMs(millis) => StreamCadence::MinIntervalMs { millis },
    }
}

impl Doors for Uniffi {
    fn name(&self) -> &'static str {
        "uniffi"
    }

    fn filter(&self, p: CorePreset, fail_open: bool) -> Box<dyn FilterDoor> {
        let filter = SafeFrameFilter::from_directory(
            oracle_dir(),
            Policy::preset(preset(p)),
            fail_open,
            FilterOptions::default(),
        )
        .unwrap();
        Box::new(UniffiFilter(filter))
    }

    fn filter_with_failing_second(&self, fail_open: bool) -> Option<Box<dyn FilterDoor>> {
        let pack = doors::oracle_pack_with_corrupt_model();
        let onnx = std::fs::read(fixture("oracle/oracle/model.onnx")).unwrap();
        let filter = SafeFrameFilter::from_bytes_with_second_opinion(
            pack.manifest.clone(),
            onnx,
            pack.manifest,
            pack.onnx,
            Policy::from_json(doors::TWO_MODEL_POLICY.to_owned()).unwrap(),
            fail_open,
            FilterOptions::default(),
            Some(pack.signature.clone()),
            Some(pack.signature),
        )
        .unwrap();
        Some(Box::new(UniffiFilter(filter)))
    }

    fn stream(&self, settings: &StreamSettings) -> Result<Box<dyn StreamDoor>, DoorError> {
        let filter = SafeFrameFilter::from_directory(
            oracle_dir(),
            Policy::preset(Preset::Child),
            false,
            FilterOptions::default(),
        )
        .unwrap();
        let options = StreamOptions {
            cadence: Some(cadence(settings.cadence)),
            clear_after: settings.clear_after as i32,
            background: settings.background,
            fail_open: settings.fail_open,
            hash_cadence: Some(cadence(settings.hash_cadence)),
            change_gate: settings.change_gate,
            change_threshold: settings.change_threshold,
            change_tiles: settings.change_tiles as i32,
            max_age_ms: settings.max_age_ms,
            hold: Some(action(settings.hold)),
        };
        let stream = SafeFrameStream::new(filter, options, None).map_err(door_error)?;
        Ok(Box::new(UniffiStream(stream)))
    }
}

#[test]
fn the_behaviour_suite_passes_through_the_uniffi_objects() {
    doors::run_all(&Uniffi);
}

mod c_door {
    use std::ffi::{CStr, CString};
    use std::path::PathBuf;

    use safeframe_ffi::c_api::*;

    use super::*;

    /// A C filter handle, freed on drop.
    pub(super) struct CFilterDoor(*mut CFilter);

    /// A C stream handle, freed on drop.
    pub(super) struct CStreamDoor(*mut CStream);

    impl Drop for CFilterDoor {
        fn drop(&mut self) {
            // SAFETY: a pointer from safeframe_filter_new*, freed once.
            unsafe { safeframe_filter_free(self.0) };
        }
    }

    impl Drop for CStreamDoor {
        fn drop(&mut self) {
            // SAFETY: a pointer from safeframe_stream_new, freed once.
            unsafe { safeframe_stream_free(self.0) };
        }
    }

    fn last_error(status: i32) -> DoorError {
        // SAFETY: safeframe_last_error returns NULL or a NUL-terminated string valid until
        // the next call on this thread.
        let message = unsafe {
            let text = safeframe_last_error();
            if text.is_null() {
                String::new()
            } else {
                CStr::from_ptr(text).to_string_lossy().into_owned()
            }
        };
        let kind = safeframe_ffi::ErrorKind::from_code(status).map_or("Unknown", |k| k.name());
        DoorError {
            kind: kind.to_owned(),
            message,
        }
    }

    /// The C description of `frame`, over its planes' bytes.
    fn describe(frame: &mut TestFrame, facts: &Facts) -> SafeFrameFrame {
        let empty = SafeFramePlane {
            data: std::ptr::null_mut(),
            len: 0,
            row_stride: 0,
            pixel_stride: 0,
        };
        let mut planes = [empty; 3];
        for ((plane, bytes), &(row, pixel)) in planes.iter_mut().zip(&mut frame.planes).zip(&frame.strides) {
            *plane = SafeFramePlane {
                data: bytes.as_mut_ptr(),
                len: bytes.len(),
                row_stride: row as i32,
                pixel_stride: pixel as i32,
            };
        }
        let crop = facts.crop.unwrap_or(safeframe::frame::CropRect::new(0, 0, 0, 0));
        SafeFrameFrame {
            width: frame.width as i32,
            height: frame.height as i32,
            format: frame.format.code(),
            rotation_degrees: facts.rotation_degrees as i32,
            planes,
            plane_count: frame.strides.len() as i32,
            crop_x: crop.x as i32,
            crop_y: crop.y as i32,
            crop_width: crop.width as i32,
            crop_height: crop.height as i32,
            timestamp_ns: facts.timestamp_ns.unwrap_or(0),
            has_timestamp: facts.timestamp_ns.is_some(),
            full_range: frame.color.range == safeframe::frame::YuvRange::Full,
        }
    }

    fn outcome(v: &SafeFrameVerdict) -> Outcome {
        let action = match v.action {
            SAFEFRAME_ACTION_ALLOW => safeframe::policy::Action::Allow,
            SAFEFRAME_ACTION_WARN => safeframe::policy::Action::Warn,
            SAFEFRAME_ACTION_BLUR => safeframe::policy::Action::Blur,
            _ => safeframe::policy::Action::Block,
        };
        use safeframe::scores::Category as C;
        let category = match v.category {
            SAFEFRAME_CATEGORY_DRAWING => Some(C::Drawing),
            SAFEFRAME_CATEGORY_HENTAI => Some(C::Hentai),
            SAFEFRAME_CATEGORY_NEUTRAL => Some(C::Neutral),
            SAFEFRAME_CATEGORY_PORN => Some(C::Porn),
            SAFEFRAME_CATEGORY_SEXY => Some(C::Sexy),
            SAFEFRAME_CATEGORY_KNOWN => Some(C::Known),
            _ => None,
        };
        Outcome {
            action,
            category,
            porn: v.scores[3],
        }
    }

    /// A verdict the library must overwrite (an action no code has).
    fn unwritten() -> SafeFrameVerdict {
        SafeFrameVerdict {
            action: 99,
            category: 99,
            scores: [f32::NAN; 5],
            rule: 99,
        }
    }

    impl FilterDoor for CFilterDoor {
        fn check(&self, frame: &TestFrame, facts: &Facts) -> Result<Outcome, DoorError> {
            // The C call only reads; it gets a private copy so the test frame stays shared.
            let mut copy = frame.clone();
            let description = describe(&mut copy, facts);
            let mut verdict = unwritten();
            // SAFETY: a live filter, a frame over `copy`'s planes (alive and untouched during
            // the call), a writable verdict.
            let status = unsafe { safeframe_check_frame(self.0, &description, &mut verdict) };
            if status == 0 {
                Ok(outcome(&verdict))
            } else {
                Err(last_error(status))
            }
        }

        fn filter(&self, frame: &mut TestFrame, facts: &Facts) -> (Option<Outcome>, Option<DoorError>) {
            let description = describe(frame, facts);
            let mut verdict = unwritten();
            // SAFETY: a live filter, a frame over `frame`'s planes (alive and untouched by
            // anything else during the call), a writable verdict.
            let status = unsafe { safeframe_filter_frame_in_place(self.0, &description, &mut verdict) };
            assert_ne!(
                verdict.action, 99,
                "the C door left the verdict unwritten (status {status})"
            );
            let error = (status != 0).then(|| last_error(status));
            (Some(outcome(&verdict)), error)
        }

        fn returns_pixels_on_error(&self) -> bool {
            true
        }
    }

    impl StreamDoor for CStreamDoor {
        fn process(&self, frame: &mut TestFrame, facts: &Facts) -> Result<Outcome, DoorError> {
            let description = describe(frame, facts);
            let mut verdict = unwritten();
            // SAFETY: a live stream, a frame over `frame`'s planes, a writable verdict.
            let status = unsafe { safeframe_stream_process_frame_in_place(self.0, &description, &mut verdict) };
            if status == 0 {
                Ok(outcome(&verdict))
            } else {
                Err(last_error(status))
            }
        }

        fn counts(&self) -> Counts {
            // SAFETY: all-zero bytes are a valid value of this plain C struct.
            let mut c: SafeFrameStreamCounters = unsafe { std::mem::zeroed() };
            // SAFETY: a live stream and a writable counters struct.
            assert_eq!(unsafe { safeframe_stream_counters(self.0, &mut c) }, 0);
            Counts {
                frames: c.frames,
                classified: c.classified,
                reused: c.reused,
                blocked: c.blocked,
            }
        }
    }

    fn c_string(text: &str) -> CString {
        CString::new(text).unwrap()
    }

    fn preset_name(preset: CorePreset) -> &'static str {
        preset.name()
    }

    fn new_filter(pack: &str, second: Option<&str>, policy: &str, fail_open: bool) -> CFilterDoor {
        let (pack, policy) = (c_string(pack), c_string(policy));
        let filter = match second {
            // SAFETY: NUL-terminated strings that outlive the call.
            None => unsafe { safeframe_filter_new(pack.as_ptr(), policy.as_ptr(), fail_open, 1) },
            Some(second) => {
                let second = c_string(second);
                // SAFETY: as above.
                unsafe {
                    safeframe_filter_new_with_second_opinion(
                        pack.as_ptr(),
                        second.as_ptr(),
                        policy.as_ptr(),
                        fail_open,
                        1,
                    )
                }
            }
        };
        assert!(!filter.is_null(), "{:?}", last_error(safeframe_last_error_code()));
        CFilterDoor(filter)
    }

    pub(super) struct C;

    impl Doors for C {
        fn name(&self) -> &'static str {
            "C"
        }

        fn filter(&self, preset: CorePreset, fail_open: bool) -> Box<dyn FilterDoor> {
            Box::new(new_filter(&oracle_dir(), None, preset_name(preset), fail_open))
        }

        fn filter_with_failing_second(&self, fail_open: bool) -> Option<Box<dyn FilterDoor>> {
            // The corrupt pack on disk, in a directory of this process's own.
            let dir: PathBuf = std::env::temp_dir().join(format!("safeframe-behaviour-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let pack = doors::oracle_pack_with_corrupt_model();
            std::fs::write(dir.join("manifest.json"), pack.manifest).unwrap();
            std::fs::write(dir.join("signature.json"), pack.signature).unwrap();
            std::fs::write(dir.join("model.onnx"), pack.onnx).unwrap();
            let filter = new_filter(
                &oracle_dir(),
                Some(&dir.to_string_lossy()),
                doors::TWO_MODEL_POLICY,
                fail_open,
            );
            Some(Box::new(filter))
        }

        fn stream(&self, settings: &StreamSettings) -> Result<Box<dyn StreamDoor>, DoorError> {
            let filter = new_filter(&oracle_dir(), None, "child", false);
            let (cadence, cadence_value) = match settings.cadence {
                CadenceSetting::EveryFrame => (SAFEFRAME_CADENCE_EVERY_FRAME, 0),
                CadenceSetting::EveryNth(k) => (SAFEFRAME_CADENCE_EVERY_NTH, k),
                CadenceSetting::MinIntervalMs(ms) => (SAFEFRAME_CADENCE_MIN_INTERVAL_MS, ms),
            };
            let (hash_cadence, hash_cadence_value) = match settings.hash_cadence {
                CadenceSetting::EveryFrame => (SAFEFRAME_CADENCE_EVERY_FRAME, 0),
                CadenceSetting::EveryNth(k) => (SAFEFRAME_CADENCE_EVERY_NTH, k),
                CadenceSetting::MinIntervalMs(ms) => (SAFEFRAME_CADENCE_MIN_INTERVAL_MS, ms),
            };
            let hold = match settings.hold {
                safeframe::policy::Action::Allow => SAFEFRAME_ACTION_ALLOW,
                safeframe::policy::Action::Warn => SAFEFRAME_ACTION_WARN,
                safeframe::policy::Action::Blur => SAFEFRAME_ACTION_BLUR,
                _ => SAFEFRAME_ACTION_BLOCK,
            };
            let config = SafeFrameStreamConfig {
                cadence,
                cadence_value,
                hash_cadence,
                hash_cadence_value,
                clear_after: settings.clear_after as u32,
                background: settings.background,
                fail_open: settings.fail_open,
                change_gate: settings.change_gate,
                change_threshold: settings.change_threshold,
                change_tiles: settings.change_tiles as u32,
                max_age_ms: settings.max_age_ms,
                hold,
            };
            // SAFETY: a live filter and a readable config.
            let stream = unsafe { safeframe_stream_new(filter.0, &config) };
            if stream.is_null() {
                return Err(last_error(safeframe_last_error_code()));
            }
            Ok(Box::new(CStreamDoor(stream)))
        }
    }
}

#[test]
fn the_behaviour_suite_passes_through_the_c_abi() {
    doors::run_all(&c_door::C);
}
