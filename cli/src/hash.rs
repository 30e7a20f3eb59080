//! `safeframe hash`: PDQ perceptual hashes of image files, as Meta's `pdq-photo-hasher` prints
//! them.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use safeframe::pdq::{PdqHasher, PixelFormat};
use serde_json::json;

use crate::{decode, CliError};

/// Arguments of `safeframe hash`.
#[derive(Args)]
pub struct HashArgs {
    /// Print JSON Lines: `path`, `pdq`, `quality` (and the 8 dihedral hashes with --dihedral).
    #[arg(long)]
    json: bool,
    /// Also print the 8 dihedral hashes (orig, rot90, rot180, rot270, flipx, flipy, flipp, flipm).
    #[arg(long)]
    dihedral: bool,
    /// Hash the stored pixels without turning the image upright by its EXIF orientation.
    #[arg(long)]
    no_exif_orientation: bool,
    /// Image files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

/// Hashes each file; exit 0, or 2 when any file fails (an error line is printed and the run
/// goes on).
pub fn run(args: &HashArgs) -> Result<ExitCode, CliError> {
    let mut hasher = PdqHasher::new();
    let mut errors = 0;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for path in &args.paths {
        let shown = path.display().to_string();
        let result = decode::decode(path, !args.no_exif_orientation).and_then(|image| {
            // Alpha dropped: the reference hashes plain RGB.
            let rgb = image.into_rgb8();
            let (w, h) = (rgb.width() as usize, rgb.height() as usize);
            hasher
                .hash_rgb8_dihedral(rgb.as_raw(), w, h, w * 3, PixelFormat::Rgb8)
                .map_err(|e| CliError::SafeFrame(e.into()))
        });
        let line = match result {
            Ok(d) if args.json => {
                let mut value = json!({ "path": shown, "pdq": d.orig.to_hex(), "quality": d.quality });
                if args.dihedral {
                    let names = ["orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipp", "flipm"];
                    for (name, hash) in names.iter().zip(d.hashes()) {
                        value[*name] = hash.to_hex().into();
                    }
                }
                value.to_string()
            }
            Ok(d) if args.dihedral => {
                let hexes: Vec<String> = d.hashes().iter().map(|h| h.to_hex()).collect();
                format!("{},{},{shown}", hexes.join(","), d.quality)
            }
            Ok(d) => format!("{},{},{shown}", d.orig.to_hex(), d.quality),
            Err(e) => {
                errors += 1;
                if args.json {
                    json!({ "path": shown, "error": e.to_string() }).to_string()
                } else {
                    eprintln!("safeframe: {e}");
                    continue;
                }
            }
        };
        let _ = writeln!(out, "{line}");
    }
    Ok(ExitCode::from(if errors > 0 { 2 } else { 0 }))
}
