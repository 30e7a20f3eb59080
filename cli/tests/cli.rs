//! The `safeframe` binary, run as a user would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_safeframe"))
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn oracle() -> String {
    root().join("tests/fixtures/oracle/oracle").display().to_string()
}

fn solid_png(dir: &Path, name: &str, rgb: [u8; 3]) -> PathBuf {
    let path = dir.join(name);
    image::RgbImage::from_pixel(40, 30, image::Rgb(rgb))
        .save(&path)
        .unwrap();
    path
}

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

#[test]
fn scan_prints_one_json_line_per_image_and_an_error_line_for_a_broken_file() {
    let dir = tempfile::tempdir().unwrap();
    let grey = solid_png(dir.path(), "grey.png", [128, 128, 128]);
    let red = solid_png(dir.path(), "red.png", [255, 0, 0]);
    let broken = dir.path().join("broken.png");
    std::fs::write(&broken, b"\x89PNG\r\n\x1a\n\0\0\0\0\0\0\0\0").unwrap();
    let out = bin()
        .args(["scan", "--json", "--model", &oracle()])
        .args([&grey, &red, &broken])
        .output()
        .unwrap();
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3, "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(lines[0]["action"], "allow");
    assert_eq!(lines[0]["category"], Value::Null);
    assert_eq!(lines[1]["action"], "block");
    assert_eq!(lines[1]["category"], "porn");
    let scores = lines[1]["scores"].as_object().unwrap();
    let keys: Vec<&str> = scores.keys().map(String::as_str).collect();
    assert_eq!(keys, ["drawing", "hentai", "neutral", "porn", "sexy"]);
    let sum: f64 = scores.values().map(|v| v.as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-3);
    assert!(lines[2]["error"].as_str().unwrap().contains("broken.png"));
    assert_eq!(lines[2]["path"], broken.display().to_string());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn scan_exit_status_is_0_when_clean_and_1_when_flagged() {
    let dir = tempfile::tempdir().unwrap();
    solid_png(dir.path(), "grey.png", [128, 128, 128]);
    let status = bin()
        .args(["scan", "--model", &oracle()])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(0));
    std::fs::create_dir(dir.path().join("nested")).unwrap();
    solid_png(&dir.path().join("nested"), "yellow.png", [255, 255, 0]);
    let out = bin()
        .args(["scan", "--model", &oracle()])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("blur") && text.contains("yellow.png"), "{text}");
    // The adult preset only warns, and only on confident porn/hentai: yellow (sexy) passes.
    let out = bin()
        .args(["scan", "--policy", "adult", "--model", &oracle()])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn scan_reads_a_custom_policy_file_and_names_a_bad_field() {
    let dir = tempfile::tempdir().unwrap();
    let grey = solid_png(dir.path(), "grey.png", [128, 128, 128]);
    let policy = dir.path().join("policy.json");
    std::fs::write(
        &policy,
        r#"{"rules":[{"categories":["neutral"],"threshold":0.5,"action":"warn"}]}"#,
    )
    .unwrap();
    let out = bin()
        .args(["scan", "--json", "--model", &oracle(), "--policy"])
        .arg(&policy)
        .arg(&grey)
        .output()
        .unwrap();
    assert_eq!(json_lines(&out)[0]["action"], "warn");
    assert_eq!(out.status.code(), Some(1));
    std::fs::write(
        &policy,
        r#"{"rules":[{"categories":["neutral"],"threshold":2,"action":"warn"}]}"#,
    )
    .unwrap();
    let out = bin()
        .args(["scan", "--model", &oracle(), "--policy"])
        .arg(&policy)
        .arg(&grey)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rules[0].threshold"));
}

#[test]
fn filter_writes_the_image_with_the_action_applied() {
    let dir = tempfile::tempdir().unwrap();
    let red = solid_png(dir.path(), "red.png", [255, 0, 0]);
    let grey = solid_png(dir.path(), "grey.png", [128, 128, 128]);
    let out_red = dir.path().join("out-red.png");
    let out_grey = dir.path().join("out-grey.png");
    let status = bin()
        .args(["filter", "--model", &oracle()])
        .arg(&red)
        .arg(&out_red)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let blocked = image::open(&out_red).unwrap().into_rgba8();
    assert!(blocked.pixels().all(|p| p.0 == [0, 0, 0, 255]));
    let status = bin()
        .args(["filter", "--model", &oracle()])
        .arg(&grey)
        .arg(&out_grey)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        image::open(&out_grey).unwrap().into_rgb8(),
        image::open(&grey).unwrap().into_rgb8()
    );
}

#[test]
fn exif_orientation_is_applied_unless_disabled() {
    // A 2x1 JPEG-free check: PNG has no EXIF orientation here, so both modes agree; the flag
    // must still be accepted.
    let dir = tempfile::tempdir().unwrap();
    let grey = solid_png(dir.path(), "grey.png", [128, 128, 128]);
    for extra in [&[][..], &["--no-exif-orientation"][..]] {
        let out = bin()
            .args(["scan", "--json", "--model", &oracle()])
            .args(extra)
            .arg(&grey)
            .output()
            .unwrap();
        assert_eq!(json_lines(&out)[0]["action"], "allow");
    }
}

#[test]
fn models_lists_both_bundled_packs() {
    let out = bin().arg("models").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("nsfwjs-mobilenetv2-fp32") && text.contains("nsfwjs-mobilenetv2-int8"),
        "{text}"
    );
    let out = bin().args(["models", "list", "--json"]).output().unwrap();
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = list.as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|m| m["name"].as_str().unwrap()).collect();
    for name in [
        "nsfwjs-mobilenetv2mid-fp32",
        "nsfwjs-mobilenetv2mid-int8",
        "nsfwjs-mobilenetv2-fp32",
        "nsfwjs-mobilenetv2-int8",
        "open-nsfw-int8",
        "open-nsfw-fp32",
    ] {
        assert!(names.contains(&name), "{names:?}");
    }
    let default: Vec<&Value> = list.iter().filter(|m| m["default"] == true).collect();
    assert_eq!(default.len(), 1);
    assert_eq!(default[0]["name"], "nsfwjs-mobilenetv2mid-fp32");
    assert_eq!(list.iter().filter(|m| m["role"] == "default second opinion").count(), 1);
    for model in list {
        let labels = model["labels"].as_array().unwrap().len();
        let open_nsfw = model["name"].as_str().unwrap().starts_with("open-nsfw");
        assert_eq!(labels, if open_nsfw { 2 } else { 5 }, "{model}");
        assert!(model["license"].as_str().is_some_and(|l| !l.is_empty()));
    }
}

#[test]
fn scan_json_names_every_model_that_ran_and_the_rule_that_fired() {
    let dir = tempfile::tempdir().unwrap();
    let grey = solid_png(dir.path(), "grey.png", [128, 128, 128]);
    let red = solid_png(dir.path(), "red.png", [255, 0, 0]);
    let out = bin()
        .args(["scan", "--json", "--model", &oracle()])
        .args([&grey, &red])
        .output()
        .unwrap();
    let lines = json_lines(&out);
    assert_eq!(lines[0]["rule"], Value::Null);
    assert_eq!(lines[1]["rule"], 0, "child's first rule (porn) blocks red");
    let models = lines[1]["models"].as_object().unwrap();
    assert_eq!(models.keys().collect::<Vec<_>>(), ["oracle"]);
    assert_eq!(models["oracle"]["Porn"], lines[1]["scores"]["porn"]);
    // The oracle as its own second opinion, with a policy that needs both to agree: the second
    // runs only for the flagged image, and its scores are reported.
    let policy = dir.path().join("both.json");
    std::fs::write(
        &policy,
        r#"{"rules":[{"when":[{"labels":["porn"],"threshold":0.4},
            {"model":"second","labels":["porn"],"threshold":0.4}],"action":"block"}]}"#,
    )
    .unwrap();
    let out = bin()
        .args([
            "scan",
            "--json",
            "--model",
            &oracle(),
            "--second-model",
            &oracle(),
            "--policy",
        ])
        .arg(&policy)
        .args([&grey, &red])
        .output()
        .unwrap();
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2, "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(lines[0]["action"], "allow");
    assert_eq!(
        lines[0]["models"].as_object().unwrap().len(),
        1,
        "no second opinion for grey"
    );
    assert_eq!(lines[1]["action"], "block");
    assert_eq!(lines[1]["rule"], 0);
    let models = lines[1]["models"].as_object().unwrap();
    assert_eq!(models.keys().collect::<Vec<_>>(), ["oracle", "oracle (second)"]);
    assert_eq!(models["oracle (second)"]["Porn"], lines[1]["scores"]["porn"]);
    // Without a second model that policy cannot fire: a typed error at load time, exit 2.
    let out = bin()
        .args(["scan", "--model", &oracle(), "--policy"])
        .arg(&policy)
        .arg(&grey)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rules[0].when[1].model"));
    // A label the second model lacks is refused too.
    std::fs::write(
        &policy,
        r#"{"rules":[{"when":[{"labels":["porn"],"threshold":0.4},
            {"model":"second","labels":["nsfw"],"threshold":0.4}],"action":"block"}]}"#,
    )
    .unwrap();
    let out = bin()
        .args(["scan", "--model", &oracle(), "--second-model", &oracle(), "--policy"])
        .arg(&policy)
        .arg(&grey)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rules[0].when[1].labels[0]"));
}

#[test]
fn policy_show_prints_each_preset_as_loadable_json() {
    for preset in ["child", "teen", "adult"] {
        let out = bin().args(["policy", "show", preset]).output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let policy = safeframe::policy::Policy::from_json(&text).unwrap();
        assert_eq!(policy.name.as_deref(), Some(preset));
        let preset = safeframe::policy::Preset::from_name(preset).unwrap();
        assert_eq!(policy, safeframe::policy::Policy::preset_with_second_opinion(preset));
        let out = bin()
            .args(["policy", "show", preset.name(), "--single-model"])
            .output()
            .unwrap();
        let single = safeframe::policy::Policy::from_json(&String::from_utf8(out.stdout).unwrap()).unwrap();
        assert_eq!(single, safeframe::policy::Policy::preset(preset));
    }
    let out = bin().args(["policy", "show", "toddler"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bench_json_has_the_documented_keys_for_every_format() {
    for format in ["rgba", "nv21", "i420"] {
        let out = bin()
            .args([
                "bench",
                "--json",
                "--model",
                &oracle(),
                "--iterations",
                "10",
                "--size",
                "320x240",
                "--format",
                format,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let b: Value = serde_json::from_slice(&out.stdout).unwrap();
        for key in [
            "preprocess_ms",
            "inference_ms",
            "total_ms",
            "ratio",
            "blur_ms",
            "block_ms",
        ] {
            assert!(b[key].as_f64().unwrap() > 0.0, "{key}: {b}");
        }
        assert_eq!(b["frame"], format!("320x240 {format}"));
    }
    let out = bin()
        .args(["bench", "--model", &oracle(), "--format", "yuyv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--format yuyv"));
}

#[test]
fn unknown_model_is_a_usage_error() {
    let out = bin()
        .args(["scan", "--model", "no-such-model", "x.png"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nsfwjs-mobilenetv2-fp32"));
}

#[test]
fn scanning_png_fixtures_reproduces_nsfwjs_including_alpha_and_grayscale() {
    // The default model (no --model) against nsfwjs's MobileNetV2Mid, and the previous default.
    reproduces_nsfwjs(&[], "nsfwjs-mobilenetv2mid-scores.json");
    reproduces_nsfwjs(&["--model", "nsfwjs-mobilenetv2-fp32"], "nsfwjs-scores.json");
}

fn reproduces_nsfwjs(model: &[&str], scores: &str) {
    // The CLI decodes the original files itself (alpha dropped, grayscale expanded); for
    // lossless originals that must give exactly the pixels nsfwjs saw in Node.
    let golden: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("tests/fixtures/golden").join(scores)).unwrap())
            .unwrap();
    let images: Vec<&Value> = golden["images"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["original"].as_str().unwrap().ends_with(".png"))
        .collect();
    assert!(images.len() >= 30);
    let paths: Vec<PathBuf> = images
        .iter()
        .map(|i| root().join("tests/fixtures").join(i["original"].as_str().unwrap()))
        .collect();
    let out = bin()
        .args(["scan", "--json"])
        .args(model)
        .args(&paths)
        .output()
        .unwrap();
    let lines = json_lines(&out);
    assert_eq!(lines.len(), images.len());
    let names = ["drawing", "hentai", "neutral", "porn", "sexy"];
    for (line, image) in lines.iter().zip(&images) {
        for (k, name) in names.iter().enumerate() {
            let ours = line["scores"][name].as_f64().unwrap();
            let theirs = image["scores"][k].as_f64().unwrap();
            assert!(
                (ours - theirs).abs() <= 1e-4,
                "{}: {name} {ours} vs nsfwjs {theirs}",
                image["original"]
            );
        }
    }
}

#[test]
fn hash_prints_the_reference_pdq_hashes_of_the_public_vectors() {
    let dir = root().join("tests/fixtures/pdq-vectors");
    let tsv = std::fs::read_to_string(dir.join("vectors.tsv")).unwrap();
    let rows: Vec<Vec<&str>> = tsv.lines().skip(1).map(|l| l.split('\t').collect()).collect();
    let files: Vec<PathBuf> = rows.iter().map(|r| dir.join(r[0])).collect();
    let out = bin()
        .args(["hash", "--json", "--dihedral"])
        .args(&files)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), rows.len());
    let names = ["orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipp", "flipm"];
    for (line, row) in lines.iter().zip(&rows) {
        assert_eq!(line["pdq"], row[3], "{}", row[0]);
        assert_eq!(line["quality"].as_u64().unwrap().to_string(), row[4], "{}", row[0]);
        for (k, name) in names.iter().enumerate() {
            assert_eq!(line[*name], row[5 + k], "{} {name}", row[0]);
        }
    }
    let broken = tempfile::NamedTempFile::new().unwrap();
    let out = bin().args(["hash", "--json"]).arg(broken.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(json_lines(&out)[0]["error"].is_string());
}

#[test]
fn scan_with_a_blocklist_blocks_known_content_and_its_rotations() {
    let dir = tempfile::tempdir().unwrap();
    // A benign textured image, its 90° rotation, and an unrelated image.
    let (w, h) = (96u32, 64u32);
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 5 % 256) as u8, (y * 7 % 256) as u8, ((x * y) % 251) as u8])
    });
    let listed = dir.path().join("listed.png");
    img.save(&listed).unwrap();
    let rotated = dir.path().join("rotated.png");
    image::imageops::rotate90(&img).save(&rotated).unwrap();
    let other = solid_png(dir.path(), "grey.png", [128, 128, 128]);
    let out = bin().args(["hash"]).arg(&listed).output().unwrap();
    let hex = String::from_utf8(out.stdout)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_string();
    let list = dir.path().join("list.txt");
    std::fs::write(&list, format!("# test list\n{hex} test-entry\n")).unwrap();
    let out = bin()
        .args(["scan", "--json", "--model", &oracle(), "--blocklist"])
        .arg(&list)
        .args([&listed, &rotated, &other])
        .output()
        .unwrap();
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3, "{}", String::from_utf8_lossy(&out.stderr));
    for line in &lines[..2] {
        assert_eq!(line["action"], "block", "{line}");
        assert_eq!(line["category"], "known", "{line}");
        assert_eq!(line["match"]["label"], "test-entry");
        assert!(line["match"]["distance"].as_u64().unwrap() <= 31);
    }
    assert_eq!(lines[0]["match"]["distance"], 0);
    assert!(lines[2].get("match").is_none(), "{}", lines[2]);
    // A malformed list names its line.
    std::fs::write(&list, "# test list\nnot-a-hash\n").unwrap();
    let out = bin()
        .args(["scan", "--model", &oracle(), "--blocklist"])
        .arg(&list)
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains('2'),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
