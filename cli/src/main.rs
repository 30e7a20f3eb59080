//! `safeframe`: scan, filter and benchmark images on the desktop with the SafeFrame SDK.

mod bench;
mod bench_frames;
mod bundled;
mod decode;
mod frame_reader;
mod hash;
mod scan;
mod stream;
mod trust;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use safeframe::classifier::ClassifierOptions;
use safeframe::filter::{Filter, OnError};
use safeframe::frame::{FrameMut, PixelFormat};
use safeframe::policy::{Action, Policy, Preset};
use safeframe::SafeFrameError;

/// Everything the CLI can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// An error from the SDK.
    #[error(transparent)]
    SafeFrame(#[from] SafeFrameError),
    /// A file that could not be read or decoded as an image.
    #[error("cannot decode {0}")]
    Decode(String),
    /// A file that could not be written.
    #[error("cannot write {0}")]
    Write(String),
    /// Bad arguments.
    #[error("{0}")]
    Usage(String),
}

#[derive(Parser)]
#[command(
    name = "safeframe",
    version,
    about = "On-device safety filter: scan, filter and benchmark images"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Classify images and print a verdict for each (exit 0: nothing flagged, 1: something
    /// warned/blurred/blocked, 2: an error).
    Scan(ScanArgs),
    /// Write an image with the policy's action applied (unchanged when allowed).
    Filter(FilterArgs),
    /// Time preprocessing and inference per frame on a synthetic frame.
    Bench(bench::BenchArgs),
    /// Filter raw video frames from stdin to stdout (NV12, NV21, I420, RGBA, BGRA), composing
    /// with ffmpeg; verdict changes go to stderr or --events as JSON Lines.
    Stream(stream::StreamArgs),
    /// PDQ perceptual hashes of image files (bit-exact with Meta's pdq-photo-hasher).
    Hash(hash::HashArgs),
    /// The bundled model packs.
    Models {
        #[command(subcommand)]
        command: Option<ModelsCommand>,
    },
    /// Policy presets.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
}

#[derive(Subcommand)]
enum ModelsCommand {
    /// List the bundled model packs with their manifest data and signature (the default).
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Make a new ed25519 signing key: a secret key file (kept out of every repository) and a
    /// public key file (shipped in core/keys/ or pinned by an app).
    Keygen(trust::KeygenArgs),
    /// Sign model packs: write signature.json into each pack directory.
    Sign(trust::SignArgs),
    /// Check model packs as loading them would (manifest, model sha256, signature, version);
    /// exit 2 if any fails.
    Verify(trust::VerifyArgs),
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Print a preset (child, teen, adult) as JSON, in the form custom policy files use: the
    /// rules of the default configuration (primary model + second opinion).
    Show {
        /// The preset's name.
        preset: String,
        /// The rules used when only one model is loaded (`--model X` alone).
        #[arg(long)]
        single_model: bool,
    },
}

/// Options shared by the commands that classify.
#[derive(Args, Clone)]
pub struct ModelArgs {
    /// The primary model: a bundled model's name (see `safeframe models`) or a model-pack
    /// directory. Given alone, it is the only model (presets use their single-model rules).
    #[arg(long)]
    model: Option<String>,
    /// The second-opinion model, run only when the primary flags an image: a bundled name, a
    /// model-pack directory, or `none`. Default: open-nsfw-int8 when --model is not given,
    /// none when it is.
    #[arg(long)]
    second_model: Option<String>,
    /// A preset (child, teen, adult) or a JSON policy file.
    #[arg(long, default_value = "child")]
    policy: String,
    /// ONNX Runtime intra-op threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// A PDQ blocklist (text: one 64-hex hash per line, optional label; or the binary form):
    /// images that match it are blocked as `known`, whatever the classifier says.
    #[arg(long)]
    blocklist: Option<PathBuf>,
    #[command(flatten)]
    trust: trust::TrustArgs,
}

impl ModelArgs {
    fn options(&self) -> Result<ClassifierOptions, CliError> {
        Ok(ClassifierOptions {
            intra_threads: self.threads,
            trust: self.trust.policy()?,
            ..ClassifierOptions::default()
        })
    }

    /// The policy; a preset takes the rules for the models loaded.
    fn policy(&self, second_opinion: bool) -> Result<Policy, CliError> {
        if let Ok(policy) = Policy::from_source(&self.policy, second_opinion) {
            return Ok(policy);
        }
        let path = PathBuf::from(&self.policy);
        if !path.exists() {
            return Err(CliError::Usage(format!(
                "--policy {}: neither a preset (child, teen, adult) nor a file",
                self.policy
            )));
        }
        let text = std::fs::read_to_string(&path).map_err(|source| SafeFrameError::Io { path, source })?;
        Ok(Policy::from_source(&text, second_opinion)?)
    }

    fn filter(&self) -> Result<Filter, CliError> {
        let options = self.options()?;
        let second = bundled::second(self.model.as_deref(), self.second_model.as_deref(), &options)?;
        let policy = self.policy(second.is_some())?;
        let classifier = bundled::load(self.model.as_deref(), &options)?;
        let filter = Filter::cascade(Arc::new(classifier), second.map(Arc::new), policy, OnError::FailClosed)?;
        Ok(match &self.blocklist {
            Some(path) => {
                let list = safeframe::blocklist::Blocklist::load(path).map_err(SafeFrameError::from)?;
                filter.with_known_content(safeframe::known::KnownContent::new(list, Default::default()))
            }
            None => filter,
        })
    }
}

#[derive(Args)]
struct ScanArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Print JSON Lines, one object per image.
    #[arg(long)]
    json: bool,
    /// Classify the stored pixels without turning the image upright by its EXIF orientation.
    #[arg(long)]
    no_exif_orientation: bool,
    /// Image files and directories (searched recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

#[derive(Args)]
struct FilterArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Use the stored pixels without turning the image upright by its EXIF orientation.
    #[arg(long)]
    no_exif_orientation: bool,
    /// The image to filter.
    input: PathBuf,
    /// Where to write the result (format from the extension).
    output: PathBuf,
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => scan::run(&args.model, args.json, !args.no_exif_orientation, &args.paths),
        Command::Filter(args) => filter(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Hash(args) => hash::run(&args),
        Command::Stream(args) => stream::run(&args, |model, second, threads| {
            let options = ClassifierOptions {
                intra_threads: threads,
                trust: args.trust.policy().map_err(|e| e.to_string())?,
                ..ClassifierOptions::default()
            };
            let second = bundled::second(model, second, &options).map_err(|e| e.to_string())?;
            let primary = bundled::load(model, &options).map_err(|e| e.to_string())?;
            Ok((primary, second))
        })
        .map_err(|e| CliError::Usage(e.to_string())),
        Command::Models { command } => match command {
            None => models(false),
            Some(ModelsCommand::List { json }) => models(json),
            Some(ModelsCommand::Keygen(args)) => trust::keygen(&args),
            Some(ModelsCommand::Sign(args)) => trust::sign(&args),
            Some(ModelsCommand::Verify(args)) => trust::verify(&args),
        },
        Command::Policy {
            command: PolicyCommand::Show { preset, single_model },
        } => Preset::from_name(&preset)
            .map(|p| {
                println!("{}", Policy::preset_for(p, !single_model).to_json());
                ExitCode::SUCCESS
            })
            .map_err(CliError::from),
    };
    result.unwrap_or_else(|error| {
        eprintln!("safeframe: {error}");
        ExitCode::from(2)
    })
}

fn filter(args: &FilterArgs) -> Result<ExitCode, CliError> {
    let filter = args.model.filter()?;
    let mut image = decode::decode(&args.input, !args.no_exif_orientation)?.into_rgba8();
    let (width, height) = image.dimensions();
    let verdict = filter.filter(&mut FrameMut::packed(
        image.as_mut(),
        width,
        height,
        PixelFormat::Rgba8,
    )?)?;
    let output = if matches!(
        image::ImageFormat::from_path(&args.output),
        Ok(image::ImageFormat::Jpeg | image::ImageFormat::Bmp)
    ) {
        image::DynamicImage::ImageRgba8(image).into_rgb8().into()
    } else {
        image::DynamicImage::ImageRgba8(image)
    };
    output
        .save(&args.output)
        .map_err(|e| CliError::Write(format!("{}: {e}", args.output.display())))?;
    eprintln!(
        "{}: {}{}",
        args.input.display(),
        verdict.action,
        verdict.category.map(|c| format!(" ({c})")).unwrap_or_default()
    );
    Ok(if verdict.action == Action::Allow {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn models(json: bool) -> Result<ExitCode, CliError> {
    let mut list = Vec::new();
    let trust = safeframe::signing::TrustPolicy::default();
    for model in bundled::BUNDLED {
        let manifest = model.manifest()?;
        // The signature as the default trust policy sees it (a failure is shown, not fatal).
        let signature = match model.check_trust(&trust) {
            Ok((_, key)) => trust::describe_key(key.as_ref(), &trust),
            Err(e) => e.to_string(),
        };
        let role = if model.name == bundled::DEFAULT_MODEL {
            Some("default primary")
        } else if model.name == bundled::DEFAULT_SECOND_MODEL {
            Some("default second opinion")
        } else {
            None
        };
        let size = model.onnx_len();
        if json {
            let mut value = serde_json::to_value(&manifest).map_err(|e| CliError::Usage(e.to_string()))?;
            value["default"] = (model.name == bundled::DEFAULT_MODEL).into();
            value["role"] = role.into();
            value["onnx_bytes"] = size.into();
            value["signature"] = signature.into();
            list.push(value);
        } else {
            let size = size.map_or("not installed: run ./scripts/setup-models".to_owned(), |b| {
                format!("{:.1} MB", b as f64 / 1e6)
            });
            println!(
                "{}{}\n  version {}, {}, {size}, licence {}, sha256 {}\n  {signature}\n  labels {}\n  input {} {:?} {}x{} {}/{} resize {:?}\n  source: {}\n",
                manifest.name,
                role.map(|r| format!(" ({r})")).unwrap_or_default(),
                manifest.version,
                manifest.precision,
                manifest.license,
                manifest.sha256,
                manifest.labels.join(", "),
                manifest.input.name,
                manifest.input.layout,
                manifest.input.width,
                manifest.input.height,
                manifest.input.color,
                manifest.input.pixel_divisor,
                manifest.input.resize,
                manifest.source,
            );
        }
    }
    if json {
        println!("{}", serde_json::Value::Array(list));
    }
    Ok(ExitCode::SUCCESS)
}
