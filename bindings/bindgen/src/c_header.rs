//! Writes `safeframe.h`, the C header of `safeframe-ffi`'s C ABI, with cbindgen.
//!
//! `safeframe-c-header CRATE_DIR OUT_FILE` reads the crate's `cbindgen.toml`. Use it through
//! `scripts/generate-bindings`.
//!
//! Two sets of constants come from tables rather than from `c_api.rs`, so the header cannot
//! drift from them: `SAFEFRAME_FORMAT_*` from the core's pixel-format table
//! ([`PixelFormat::ALL`], [`PixelFormat::code`]) and `SAFEFRAME_ERROR_*` from the bindings' error
//! table ([`ErrorKind::ALL`]). Their doc comments are read from the tables' sources.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use safeframe::frame::PixelFormat;
use safeframe_ffi::ErrorKind;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [crate_dir, out] = args.as_slice() else {
        eprintln!("usage: safeframe-c-header CRATE_DIR OUT_FILE");
        return ExitCode::from(2);
    };
    match generate(Path::new(crate_dir), Path::new(out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("safeframe-c-header: {e}");
            ExitCode::FAILURE
        }
    }
}

fn generate(crate_dir: &Path, out: &Path) -> Result<(), String> {
    let crate_dir = PathBuf::from(crate_dir);
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).map_err(|e| e.to_string())?;
    let read = |path: PathBuf| std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()));
    let errors = read(crate_dir.join("src/error.rs"))?;
    let formats = read(crate_dir.join("../core/src/frame/format.rs"))?;
    config.after_includes = Some(table_constants(&errors, &formats));
    let bindings = cbindgen::generate_with_config(&crate_dir, config).map_err(|e| e.to_string())?;
    bindings.write_to_file(out);
    Ok(())
}

/// The `#define`s of the error and pixel-format tables, each with its doc comment.
fn table_constants(error_source: &str, format_source: &str) -> String {
    let mut out = String::new();
    for &(kind, code) in ErrorKind::ALL {
        let name = kind.name();
        let doc = doc_above(error_source, &format!("{name} = {code} <="))
            .unwrap_or_else(|| vec![format!("The error `SafeFrameError.{name}`.")]);
        define(
            &mut out,
            &doc,
            &format!("SAFEFRAME_ERROR_{}", screaming_snake(name)),
            code,
        );
    }
    for format in PixelFormat::ALL {
        let variant = format!("{format:?}");
        let mut doc = doc_above(format_source, &format!("{variant},")).unwrap_or_default();
        doc.insert(
            0,
            format!(
                "Pixel format {} ({} plane(s)):",
                c_format_name(format),
                format.plane_count()
            ),
        );
        define(
            &mut out,
            &doc,
            &format!("SAFEFRAME_FORMAT_{}", c_format_name(format)),
            format.code(),
        );
    }
    out
}

fn define(out: &mut String, doc: &[String], name: &str, value: i32) {
    out.push('\n');
    for line in doc {
        let _ = writeln!(out, "// {line}");
    }
    let _ = writeln!(out, "#define {name} {value}");
}

/// The C name of a format: the core's short name in capitals, with the bit depth for the
/// packed RGB formats (`RGBA8`, `NV21`, `YUV_420_888`).
fn c_format_name(format: PixelFormat) -> String {
    let name = format.name().to_ascii_uppercase();
    if format.is_yuv() {
        name
    } else {
        format!("{name}8")
    }
}

/// `InvalidArgument` → `INVALID_ARGUMENT`.
fn screaming_snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// The `///` doc lines right above the first line that starts (after indentation) with
/// `item`, without their `///`.
fn doc_above(source: &str, item: &str) -> Option<Vec<String>> {
    let lines: Vec<&str> = source.lines().collect();
    let at = lines.iter().position(|l| l.trim_start().starts_with(item))?;
    let mut doc: Vec<String> = lines[..at]
        .iter()
        .rev()
        .map(|l| l.trim_start())
        .take_while(|l| l.starts_with("///"))
        .map(|l| l.trim_start_matches("///").trim().to_owned())
        .collect();
    doc.reverse();
    (!doc.is_empty()).then_some(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_c_spelling() {
        assert_eq!(screaming_snake("InvalidArgument"), "INVALID_ARGUMENT");
        assert_eq!(screaming_snake("Io"), "IO");
        let names: Vec<String> = PixelFormat::ALL.into_iter().map(c_format_name).collect();
        assert_eq!(names, ["RGBA8", "BGRA8", "RGB8", "NV12", "NV21", "I420", "YUV_420_888"]);
    }

    #[test]
    fn docs_are_read_from_the_line_above() {
        let source = "x\n    /// One.\n    /// Two.\n    Item = 1 <= [],\n";
        assert_eq!(
            doc_above(source, "Item = 1 <="),
            Some(vec!["One.".to_owned(), "Two.".to_owned()])
        );
        assert_eq!(doc_above(source, "Other"), None);
    }
}
