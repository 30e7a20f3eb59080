//! Writes `safeframe.h`, the C header of `safeframe-ffi`'s C ABI, with cbindgen.
//!
//! `safeframe-c-header CRATE_DIR OUT_FILE` reads the crate's `cbindgen.toml`. Use it through
//! `scripts/generate-bindings`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [crate_dir, out] = args.as_slice() else {
        eprintln!("usage: safeframe-c-header CRATE_DIR OUT_FILE");
        return ExitCode::from(2);
    };
    let crate_dir = PathBuf::from(crate_dir);
    let config = match cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("safeframe-c-header: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cbindgen::generate_with_config(&crate_dir, config) {
        Ok(bindings) => {
            bindings.write_to_file(out);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("safeframe-c-header: {e}");
            ExitCode::FAILURE
        }
    }
}
