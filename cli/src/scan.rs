//! `safeframe scan`: classify image files and print a verdict for each.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use safeframe::filter::Filter;
use safeframe::frame::{Frame, PixelFormat};
use safeframe::policy::{Action, Verdict};
use serde_json::json;

use crate::{decode, CliError, ModelArgs};

/// Batches longer than this get a progress bar (when stderr is a terminal).
const PROGRESS_MIN_FILES: usize = 20;

/// One line of `scan --json` (scores serialised as `f32`, so they print at their own precision).
#[derive(serde::Serialize)]
struct ScanLine<'a> {
    path: &'a str,
    action: Action,
    category: Option<safeframe::scores::Category>,
    scores: &'a safeframe::scores::Scores,
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    known: Option<MatchLine<'a>>,
    /// Every model that ran: `{pack name: {label: probability}}`.
    models: Models<'a>,
    /// The index of the rule that decided the verdict (see `safeframe policy show`), if any.
    rule: Option<u32>,
}

/// Pairs serialised as a JSON object in their order (values as `f32`, printed at their own
/// precision like `scores`).
struct Ordered<K, V>(Vec<(K, V)>);

impl<K: serde::Serialize, V: serde::Serialize> serde::Serialize for Ordered<K, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

type Models<'a> = Ordered<String, Ordered<&'a str, f32>>;

/// The scores of every model that ran for `verdict`, by pack name and label.
fn models_line<'a>(filter: &'a Filter, verdict: &Verdict) -> Models<'a> {
    let primary = filter.classifier().manifest();
    let mut models = vec![(
        primary.name.clone(),
        Ordered(
            primary
                .labels
                .iter()
                .map(|label| {
                    let score = safeframe::scores::Category::from_label(label).map_or(0.0, |c| verdict.scores.get(c));
                    (label.as_str(), score)
                })
                .collect(),
        ),
    )];
    if let (Some(second), Some(opinion)) = (filter.second_opinion(), verdict.second) {
        let labels = second.labels().iter().enumerate();
        // The same pack as both models (tests do that) still gives two keys.
        let name = &second.manifest().name;
        let key = if *name == primary.name {
            format!("{name} (second)")
        } else {
            name.clone()
        };
        models.push((
            key,
            Ordered(labels.map(|(i, label)| (label.as_str(), opinion.get(i))).collect()),
        ));
    }
    Ordered(models)
}

/// The `match` object of a known-content verdict.
#[derive(serde::Serialize)]
struct MatchLine<'a> {
    label: Option<&'a str>,
    distance: u32,
}

/// Files to scan: given files as they are, directories walked recursively for image files.
fn collect(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = walkdir::WalkDir::new(path)
                .follow_links(false)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file() && decode::is_image_file(e.path()))
                .map(walkdir::DirEntry::into_path)
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    files
}

fn classify(filter: &Filter, path: &Path, orient: bool) -> Result<Verdict, CliError> {
    // Alpha is dropped (stored RGB kept), as nsfwjs does in Node.
    let image = decode::decode(path, orient)?.into_rgb8();
    let (width, height) = image.dimensions();
    Ok(filter.check(&Frame::packed(image.as_raw(), width, height, PixelFormat::Rgb8)?)?)
}

/// Runs the scan; returns 0 (nothing flagged), 1 (something flagged) or 2 (any error).
pub fn run(args: &ModelArgs, json_lines: bool, orient: bool, paths: &[PathBuf]) -> Result<ExitCode, CliError> {
    let filter = args.filter()?;
    let files = collect(paths);
    let progress = (!json_lines && files.len() > PROGRESS_MIN_FILES && std::io::stderr().is_terminal())
        .then(|| indicatif::ProgressBar::new(files.len() as u64));
    let (mut errors, mut flagged) = (0usize, 0usize);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if !json_lines {
        let _ = writeln!(
            out,
            "{:<7} {:<8} {:>7} {:>7} {:>7} {:>7} {:>7}  path",
            "action", "category", "drawing", "hentai", "neutral", "porn", "sexy"
        );
    }
    for file in &files {
        let shown = file.display().to_string();
        let result = classify(&filter, file, orient);
        match &result {
            Ok(verdict) if verdict.action != Action::Allow => flagged += 1,
            Ok(_) => {}
            Err(_) => errors += 1,
        }
        let line = match (&result, json_lines) {
            (Ok(v), true) => serde_json::to_string(&ScanLine {
                path: &shown,
                action: v.action,
                category: v.category,
                scores: &v.scores,
                known: v.known.map(|m| MatchLine {
                    label: filter.known_content().and_then(|k| k.label(m)),
                    distance: m.distance,
                }),
                models: models_line(&filter, v),
                rule: v.rule,
            })
            .unwrap_or_default(),
            (Err(e), true) => json!({ "path": shown, "error": e.to_string() }).to_string(),
            (Ok(v), false) => {
                let s = v.scores;
                format!(
                    "{:<7} {:<8} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>7.4}  {shown}",
                    v.action.name(),
                    v.category.map(|c| c.name()).unwrap_or("-"),
                    s.drawing,
                    s.hentai,
                    s.neutral,
                    s.porn,
                    s.sexy
                )
            }
            (Err(e), false) => format!("{:<7} {e}", "error"),
        };
        let _ = writeln!(out, "{line}");
        if let Some(bar) = &progress {
            bar.inc(1);
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if !json_lines {
        let _ = writeln!(out, "{} images: {flagged} flagged, {errors} errors", files.len());
    }
    Ok(ExitCode::from(if errors > 0 {
        2
    } else if flagged > 0 {
        1
    } else {
        0
    }))
}
