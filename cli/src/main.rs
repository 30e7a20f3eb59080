//! `safeframe` (live-frames branch): only the `stream` subcommand and frame benchmarks, until
//! they are wired into the full CLI.

mod bench_frames;
mod stream;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use safeframe::classifier::{Classifier, ClassifierOptions};

#[derive(Parser)]
#[command(name = "safeframe", version, about = "On-device safety filter")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Filter raw video frames from stdin to stdout.
    Stream(stream::StreamArgs),
    /// Time the sampler, blur and block for one frame format and size.
    BenchFrames(bench_frames::BenchFramesArgs),
}

/// Loads `--model DIR` (bundled model names come with the full CLI).
fn load_model(model: Option<&str>, threads: usize) -> Result<Classifier, String> {
    let dir = model.ok_or("--model DIR is required on this build")?;
    let options = ClassifierOptions {
        intra_threads: threads,
        ..ClassifierOptions::default()
    };
    Classifier::from_dir(dir, &options).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Stream(args) => stream::run(args, load_model).map_err(|e| e.to_string()),
        Command::BenchFrames(args) => bench_frames::run(args),
    };
    result.unwrap_or_else(|error| {
        eprintln!("safeframe: {error}");
        ExitCode::from(2)
    })
}
