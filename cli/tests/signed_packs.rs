//! Signed model packs from the command line: `--model DIR` loads an untouched copy of a pack
//! and refuses each bad pack with exit 2 and its own stable message, on `scan` and `stream`;
//! `--allow-unsigned` and the other trust flags; `models keygen | sign | verify`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use safeframe_tests::signed::{bad_packs, BadPack, Refusal};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_safeframe"))
}

fn image() -> String {
    safeframe_tests::fixture("images/drawing-apple-rgba.png")
        .display()
        .to_string()
}

/// The flags a case's trust settings become.
fn flags(pack: &BadPack) -> Vec<String> {
    let mut flags = Vec::new();
    for key in &pack.revoked_keys {
        flags.extend(["--revoked-key".to_owned(), key.clone()]);
    }
    if let Some(version) = &pack.min_version {
        flags.extend(["--min-version".to_owned(), version.clone()]);
    }
    flags
}

/// The start of each refusal's message (stable: scripts may match it).
fn message(refusal: Refusal) -> &'static str {
    match refusal {
        Refusal::Unsigned => "is unsigned (no signature.json in its pack); refusing to load it",
        Refusal::Tampered => "was tampered with:",
        Refusal::Untrusted => "which is not trusted; refusing to load it",
        Refusal::Revoked => "which is revoked; refusing to load it",
        Refusal::RolledBack => "is below the minimum 1.0.1; refusing to load an older pack",
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn scan(dir: &Path, extra: &[String]) -> Output {
    bin()
        .args(["scan", "--model", &dir.display().to_string()])
        .args(extra)
        .arg(image())
        .output()
        .unwrap()
}

#[test]
fn scan_loads_an_untouched_copy_and_refuses_each_bad_pack_with_exit_2() {
    let packs = bad_packs("cli-scan");
    let ok = scan(&packs.good, &[]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    for pack in &packs.packs {
        let out = scan(&pack.dir, &flags(pack));
        assert_eq!(out.status.code(), Some(2), "{}: {}", pack.name, stderr(&out));
        let text = stderr(&out);
        assert!(text.starts_with("safeframe: model `oracle`"), "{}: {text}", pack.name);
        assert!(text.contains(message(pack.refusal)), "{}: {text}", pack.name);
        // As the second opinion too.
        let out = bin()
            .args(["scan", "--model", &packs.good.display().to_string()])
            .args(["--second-model", &pack.dir.display().to_string(), "--policy", "adult"])
            .args(flags(pack))
            .arg(image())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{} (second): {}", pack.name, stderr(&out));
        assert!(
            stderr(&out).contains(message(pack.refusal)),
            "{}: {}",
            pack.name,
            stderr(&out)
        );
    }
    let unsigned = &packs.packs.iter().find(|p| p.refusal == Refusal::Unsigned).unwrap().dir;
    let out = scan(unsigned, &["--allow-unsigned".to_owned()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let untrusted = &packs
        .packs
        .iter()
        .find(|p| p.refusal == Refusal::Untrusted)
        .unwrap()
        .dir;
    let key = safeframe_tests::throwaway_signer(99).public_key().to_string();
    let out = scan(untrusted, &["--trusted-key".to_owned(), key]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn stream_refuses_a_tampered_pack_with_exit_2() {
    let packs = bad_packs("cli-stream");
    let run = |dir: &Path| {
        let mut child = bin()
            .args(["stream", "--width", "4", "--height", "4", "--format", "rgba", "--model"])
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A refused pack ends the process before it reads its input, so the
        // write may find the pipe closed; the exit code is what is checked.
        if let Err(error) = child.stdin.take().unwrap().write_all(&[128; 64]) {
            assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
        }
        child.wait_with_output().unwrap()
    };
    assert_eq!(run(&packs.good).status.code(), Some(0));
    let reversed = &packs.packs.iter().find(|p| p.name == "reversed-labels").unwrap().dir;
    let out = run(reversed);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("was tampered with"), "{}", stderr(&out));
}

#[test]
fn models_keygen_sign_and_verify_round_trip() {
    let packs = bad_packs("cli-sign");
    let keys = tempfile::tempdir().unwrap();
    let secret = keys.path().join("test.key");
    let public = keys.path().join("test.pub");
    let out = bin()
        .args(["models", "keygen", "--secret"])
        .arg(&secret)
        .arg("--public")
        .arg(&public)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // Never over an existing key.
    let again = bin()
        .args(["models", "keygen", "--secret"])
        .arg(&secret)
        .arg("--public")
        .arg(&public)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    // The reversed-labels pack, re-signed by the new key, verifies with that key trusted.
    let reversed = packs.packs.iter().find(|p| p.name == "reversed-labels").unwrap();
    let dir = reversed.dir.display().to_string();
    let verify = |extra: &[&str]| bin().args(["models", "verify"]).args(extra).arg(&dir).output().unwrap();
    assert_eq!(verify(&[]).status.code(), Some(2));
    let out = bin()
        .args(["models", "sign", "--key"])
        .arg(&secret)
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = verify(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("which is not trusted"), "{}", stderr(&out));
    let public = public.display().to_string();
    let out = verify(&["--trusted-key", &public]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(": ok, oracle 1.0.0, signed by key"));
    // Every bundled pack verifies with the shipped keys.
    let out = bin().args(["models", "verify"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // A pack whose model does not match its manifest is not signed.
    std::fs::write(packs.good.join("model.onnx"), b"not the model").unwrap();
    let out = bin()
        .args(["models", "sign", "--key"])
        .arg(&secret)
        .arg(&packs.good)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("sha256"), "{}", stderr(&out));
}

#[test]
fn models_without_a_subcommand_still_lists_the_packs_with_their_signatures() {
    let out = bin().arg("models").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("nsfwjs-mobilenetv2mid-fp32 (default primary)"), "{text}");
    assert!(text.contains("signed by key"), "{text}");
    assert!(text.contains("(safeframe-2026-12, shipped)"), "{text}");
}
