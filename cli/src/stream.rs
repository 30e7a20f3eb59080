//! `safeframe stream`: raw video frames from stdin, filtered frames to stdout.
//!
//! Composes with ffmpeg:
//!
//! ```text
//! ffmpeg -i in.mp4 -f rawvideo -pix_fmt nv12 - \
//!   | safeframe stream --width 1280 --height 720 --format nv12 \
//!   | ffmpeg -f rawvideo -pix_fmt nv12 -s 1280x720 -r 30 -i - out.mp4
//! ```
//!
//! Each frame is read whole (tightly packed, as ffmpeg's `rawvideo` writes it), filtered in
//! place by a [`StreamFilter`] and written out in the same format. Verdict changes and
//! failures go to stderr, or to `--events FILE`, as JSON Lines with the frame index; a last
//! line gives the counters. A partial frame at the end of the input is an error.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::{Args, ValueEnum};
use safeframe::blocklist::{Blocklist, MatchOptions};
use safeframe::classifier::Classifier;
use safeframe::filter::OnError;
use safeframe::frame::{FrameMut, PixelFormat, YuvColor, YuvMatrix, YuvRange};
use safeframe::known::KnownContent;
use safeframe::policy::{Action, Policy};
use safeframe::second_opinion::SecondOpinion;
use safeframe::stream::{
    Cadence, ChangeGate, Mode, StreamConfig, StreamFailure, StreamFilter, StreamListener, VerdictChange,
};
use safeframe::SafeFrameError;
use serde_json::json;

use crate::frame_reader::{FrameReadError, FrameReader};

/// Pixel formats of raw frames on stdin (ffmpeg `-pix_fmt` names in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RawFormat {
    /// Y plane, then interleaved UV (`nv12`).
    Nv12,
    /// Y plane, then interleaved VU (`nv21`).
    Nv21,
    /// Y, U, V planes (`yuv420p`).
    I420,
    /// 4 bytes per pixel R, G, B, A (`rgba`).
    Rgba,
    /// 4 bytes per pixel B, G, R, A (`bgra`).
    Bgra,
    /// 3 bytes per pixel R, G, B (`rgb24`).
    Rgb24,
}

impl RawFormat {
    fn pixel_format(self) -> PixelFormat {
        match self {
            Self::Nv12 => PixelFormat::Nv12,
            Self::Nv21 => PixelFormat::Nv21,
            Self::I420 => PixelFormat::I420,
            Self::Rgba => PixelFormat::Rgba8,
            Self::Bgra => PixelFormat::Bgra8,
            Self::Rgb24 => PixelFormat::Rgb8,
        }
    }
}

/// YUV sample range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RangeArg {
    /// 16..235 (video; ffmpeg's default for yuv formats).
    Limited,
    /// 0..255.
    Full,
}

/// YUV matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MatrixArg {
    /// BT.601.
    Bt601,
    /// BT.709.
    Bt709,
}

/// Arguments of `safeframe stream`.
#[derive(Debug, Args)]
pub struct StreamArgs {
    /// Frame width in pixels.
    #[arg(long)]
    pub width: u32,
    /// Frame height in pixels.
    #[arg(long)]
    pub height: u32,
    /// Pixel format of the raw frames.
    #[arg(long, value_enum)]
    pub format: RawFormat,
    /// Frames per second; frame i gets timestamp i / fps.
    #[arg(long, default_value_t = 30.0)]
    pub fps: f64,
    /// Policy preset (child, teen, adult) or a policy JSON file.
    #[arg(long, default_value = "child")]
    pub policy: String,
    /// Classify every K-th frame; frames in between get the verdict in force.
    #[arg(long, default_value_t = 1)]
    pub every: u32,
    /// Consecutive clean classifications needed to leave blur/block.
    #[arg(long, default_value_t = 3)]
    pub clear_after: u32,
    /// Run the model on a worker thread on the newest frame (frames never wait; blocked until
    /// the first verdict).
    #[arg(long)]
    pub background: bool,
    /// Write events (JSON Lines) to this file instead of stderr.
    #[arg(long)]
    pub events: Option<PathBuf>,
    /// YUV range of the input.
    #[arg(long, value_enum, default_value_t = RangeArg::Limited)]
    pub range: RangeArg,
    /// YUV matrix of the input.
    #[arg(long, value_enum, default_value_t = MatrixArg::Bt601)]
    pub matrix: MatrixArg,
    /// Model: a bundled model name or a model-pack directory (alone: the only model).
    #[arg(long)]
    pub model: Option<String>,
    /// Second-opinion model (bundled name, directory or `none`); default: open-nsfw-int8 when
    /// --model is not given, none when it is.
    #[arg(long)]
    pub second_model: Option<String>,
    /// ONNX Runtime intra-op threads.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// A PDQ blocklist (text or binary form): frames whose hash (or a rotated or mirrored
    /// copy's) matches an entry are blocked as `known`, whatever the classifier says.
    #[arg(long)]
    pub blocklist: Option<PathBuf>,
    /// With --blocklist: hash every K-th frame (frames 0, K, 2K, …); changed frames are hashed
    /// too.
    #[arg(long, default_value_t = 1)]
    pub hash_every: u32,
    /// Change gate: the largest per-tile difference from the last classified frame (0 to 1)
    /// that still counts as unchanged. Changed frames are classified at once (held redacted
    /// in --background mode until their verdict arrives); unchanged ones reuse the verdict.
    #[arg(long, default_value_t = ChangeGate::default().threshold, allow_negative_numbers = true)]
    pub change_threshold: f32,
    /// Change gate: tiles per side of the grid the difference is taken on (1 to 16).
    #[arg(long, default_value_t = ChangeGate::default().tiles)]
    pub change_tiles: u32,
    /// Change gate: the longest an unchanged scene reuses a verdict, in milliseconds of frame
    /// timestamps (frame i is at i / --fps).
    #[arg(long, default_value_t = 1000)]
    pub max_age_ms: u64,
    /// What a changed frame gets while its verdict is pending in --background mode.
    #[arg(long, value_enum, default_value_t = HoldArg::Blur)]
    pub hold: HoldArg,
    /// Classify on the cadence alone (--every), without the change gate: frames between
    /// classifications get the verdict in force even when their content changed.
    #[arg(long)]
    pub no_change_gate: bool,
    /// Whose model packs load (signatures, revoked keys, minimum version).
    #[command(flatten)]
    pub trust: crate::trust::TrustArgs,
}

/// What a held frame gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HoldArg {
    /// Blur it.
    Blur,
    /// Block it.
    Block,
}

/// What `safeframe stream` can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// An error from the SDK.
    #[error(transparent)]
    SafeFrame(#[from] SafeFrameError),
    /// Bad arguments.
    #[error("{0}")]
    Usage(String),
    /// The model could not be loaded.
    #[error("{0}")]
    Model(String),
    /// Reading stdin or writing stdout or the events failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A frame could not be read from the input, or the input ended inside one.
    #[error(transparent)]
    Read(#[from] FrameReadError),
}

type Sink = Mutex<Box<dyn Write + Send>>;

/// Writes verdict changes and failures as JSON Lines.
struct EventWriter {
    sink: Arc<Sink>,
    /// The blocklist, to name the entries in `match` objects.
    blocklist: Option<Arc<Blocklist>>,
}

impl EventWriter {
    fn line(&self, value: &serde_json::Value) {
        let mut sink = self.sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Events are diagnostics: a failing events sink must not stop the video.
        let _ = writeln!(sink, "{value}");
    }
}

impl StreamListener for EventWriter {
    fn on_verdict_change(&self, change: &VerdictChange) {
        self.line(&json!({
            "frame": change.frame_index,
            "timestamp_ms": change.timestamp_ns.map(|ns| ns as f64 / 1e6),
            "action": change.verdict.action,
            "previous": change.previous,
            "category": change.verdict.category,
            "cause": change.cause,
            "scores": change.verdict.scores,
            "match": change.verdict.known.map(|m| json!({
                "label": self.blocklist.as_ref().and_then(|b| b.get(m.entry as usize)).and_then(|e| e.label),
                "distance": m.distance,
            })),
        }));
    }

    fn on_failure(&self, failure: &StreamFailure<'_>) {
        self.line(&json!({
            "frame": failure.frame_index,
            "failure": failure.kind,
            "error": failure.error.to_string(),
        }));
    }
}

fn policy(spec: &str, second_opinion: bool) -> Result<Policy, StreamError> {
    if let Ok(policy) = Policy::from_source(spec, second_opinion) {
        return Ok(policy);
    }
    let text = std::fs::read_to_string(spec).map_err(|e| {
        StreamError::Usage(format!(
            "--policy {spec}: not a preset (child, teen, adult) and not a readable file: {e}"
        ))
    })?;
    Ok(Policy::from_source(&text, second_opinion)?)
}

/// The primary classifier and the second opinion, if any.
pub type Models = (Classifier, Option<SecondOpinion>);

/// Runs `safeframe stream` on stdin and stdout. `load_model` turns `--model` and
/// `--second-model` (bundled names or directories; `None` for the defaults) and `--threads`
/// into the models.
pub fn run(
    args: &StreamArgs,
    load_model: impl FnOnce(Option<&str>, Option<&str>, usize) -> Result<Models, String>,
) -> Result<ExitCode, StreamError> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    run_on(args, load_model, &mut stdin.lock(), &mut stdout.lock())
}

/// [`run`] on any input and output.
pub fn run_on(
    args: &StreamArgs,
    load_model: impl FnOnce(Option<&str>, Option<&str>, usize) -> Result<Models, String>,
    input: &mut impl Read,
    output: &mut impl Write,
) -> Result<ExitCode, StreamError> {
    if !(args.fps.is_finite() && args.fps > 0.0) {
        return Err(StreamError::Usage(format!(
            "--fps {}: must be a positive number",
            args.fps
        )));
    }
    let format = args.format.pixel_format();
    let frame_len = format
        .packed_len(args.width, args.height)
        .filter(|_| args.width > 0 && args.height > 0)
        .ok_or_else(|| StreamError::Usage(format!("--width/--height {}x{}: invalid size", args.width, args.height)))?;
    // The settings are checked before the model loads; the policy depends on the models.
    let change_gate = (!args.no_change_gate).then_some(ChangeGate {
        threshold: args.change_threshold,
        tiles: args.change_tiles,
        max_age: Duration::from_millis(args.max_age_ms),
    });
    let hold = match args.hold {
        HoldArg::Blur => Action::Blur,
        HoldArg::Block => Action::Block,
    };
    let mut config = StreamConfig {
        cadence: Cadence::EveryNth(args.every),
        clear_after: args.clear_after,
        mode: if args.background {
            Mode::Background
        } else {
            Mode::Inline
        },
        on_error: OnError::FailClosed,
        hash_cadence: Cadence::EveryNth(args.hash_every),
        change_gate,
        hold,
        ..StreamConfig::default()
    };
    config.validate()?;
    let (classifier, second) =
        load_model(args.model.as_deref(), args.second_model.as_deref(), args.threads).map_err(StreamError::Model)?;
    config.policy = policy(&args.policy, second.is_some())?;
    let blocklist = match &args.blocklist {
        Some(path) => Some(Arc::new(Blocklist::load(path).map_err(SafeFrameError::from)?)),
        None => None,
    };
    let sink: Box<dyn Write + Send> = match &args.events {
        Some(path) => Box::new(BufWriter::new(File::create(path).map_err(|source| {
            StreamError::Io {
                what: format!("cannot create {}", path.display()),
                source,
            }
        })?)),
        None => Box::new(std::io::stderr()),
    };
    let sink: Arc<Sink> = Arc::new(Mutex::new(sink));
    let events = EventWriter {
        sink: Arc::clone(&sink),
        blocklist: blocklist.clone(),
    };
    let mut filter = StreamFilter::cascade(Arc::new(classifier), second.map(Arc::new), config)?.with_listener(
        Arc::new(EventWriter {
            sink: Arc::clone(&sink),
            blocklist: blocklist.clone(),
        }),
    );
    if let Some(list) = blocklist {
        filter = filter.with_known_content(KnownContent::new(list, MatchOptions::default()));
    }
    let color = YuvColor {
        range: match args.range {
            RangeArg::Limited => YuvRange::Limited,
            RangeArg::Full => YuvRange::Full,
        },
        matrix: match args.matrix {
            MatrixArg::Bt601 => YuvMatrix::Bt601,
            MatrixArg::Bt709 => YuvMatrix::Bt709,
        },
    };
    let mut output = BufWriter::with_capacity(frame_len.min(1 << 22), output);
    let mut buf = vec![0u8; frame_len];
    let mut frames = FrameReader::new(input);
    while frames.next_into(&mut buf)? {
        let index = frames.index() - 1;
        let timestamp_ns = (index as f64 * 1e9 / args.fps).round() as i64;
        let mut frame = FrameMut::packed(&mut buf, args.width, args.height, format)?
            .with_timestamp_ns(timestamp_ns)
            .with_yuv_color(color);
        filter.process(&mut frame);
        output.write_all(&buf).map_err(|source| StreamError::Io {
            what: format!("writing frame {index} to stdout"),
            source,
        })?;
    }
    output.flush().map_err(|source| StreamError::Io {
        what: "writing to stdout".into(),
        source,
    })?;
    events.line(&json!({ "summary": filter.counters() }));
    let mut sink = sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    sink.flush().map_err(|source| StreamError::Io {
        what: "writing events".into(),
        source,
    })?;
    Ok(ExitCode::SUCCESS)
}
