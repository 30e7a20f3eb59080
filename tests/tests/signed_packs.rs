//! Signed model packs through the core: every pack in the repository is signed by a shipped
//! key, an untouched copy of a pack loads from its directory, and each kind of bad pack
//! (tampered, unsigned, untrusted, revoked, rolled back) is refused with its own error, by the
//! primary classifier and by the second opinion alike.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use safeframe::classifier::{Classifier, ClassifierOptions};
use safeframe::manifest::{read_manifest, read_signature, ModelPack};
use safeframe::second_opinion::SecondOpinion;
use safeframe::signing::TrustPolicy;
use safeframe_tests::signed::bad_packs;
use safeframe_tests::{copy_pack, model_dir, options_trusting, sign_pack, throwaway_signer, workspace};

/// Every `manifest.json` under `dir`, skipping build outputs and local scratch.
fn pack_dirs(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !["target", ".git", "node_modules", "work", ".venv"].contains(&name.as_str()) {
                pack_dirs(&path, found);
            }
        } else if name == "manifest.json" {
            found.push(dir.to_path_buf());
        }
    }
}

#[test]
fn every_pack_in_the_repository_is_signed_by_a_shipped_key() {
    let mut dirs = Vec::new();
    pack_dirs(&workspace().join("models"), &mut dirs);
    pack_dirs(&workspace().join("tests/fixtures"), &mut dirs);
    assert!(dirs.len() >= 10, "{dirs:?}");
    let trust = TrustPolicy::default();
    for dir in dirs {
        let (json, manifest) = read_manifest(&dir).unwrap();
        let signature = read_signature(&dir).unwrap();
        let key = trust
            .check_pack(&json, &manifest, signature.as_deref())
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let key = trust.trusted_keys.iter().find(|k| Some(k.id()) == key).unwrap();
        assert!(key.shipped_name().is_some(), "{}", dir.display());
    }
}

#[test]
fn an_untouched_copy_of_a_bundled_pack_loads_from_its_directory() {
    let dir = std::env::temp_dir().join(format!("safeframe-untouched-{}", std::process::id()));
    copy_pack(&model_dir("nsfwjs-mobilenetv2-int8"), &dir);
    let loaded = Classifier::from_dir(&dir, &ClassifierOptions::default());
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(loaded.unwrap().manifest().name, "nsfwjs-mobilenetv2-int8");
}

#[test]
fn each_bad_pack_is_refused_with_its_own_error_by_both_models() {
    let packs = bad_packs("core");
    Classifier::from_dir(&packs.good, &ClassifierOptions::default()).unwrap();
    SecondOpinion::from_dir(&packs.good, &ClassifierOptions::default()).unwrap();
    for pack in &packs.packs {
        let options = ClassifierOptions {
            trust: pack.trust(),
            ..ClassifierOptions::default()
        };
        let err = Classifier::from_dir(&pack.dir, &options).unwrap_err();
        assert!(pack.refusal.matches(&err), "{}: {err}", pack.name);
        let err = SecondOpinion::from_dir(&pack.dir, &options).unwrap_err();
        assert!(pack.refusal.matches(&err), "{} (second opinion): {err}", pack.name);
        // The same settings accept the untouched pack (except where they refuse the shipped
        // key or its version on purpose).
        if pack.revoked_keys.is_empty() && pack.min_version.is_none() {
            Classifier::from_dir(&packs.good, &options).unwrap();
        }
    }
}

#[test]
fn unsigned_packs_load_only_when_allowed_and_bad_signatures_never() {
    let packs = bad_packs("allow-unsigned");
    let lax = ClassifierOptions {
        trust: TrustPolicy::default().allowing_unsigned(),
        ..ClassifierOptions::default()
    };
    for pack in &packs.packs {
        let loaded = Classifier::from_dir(
            &pack.dir,
            &ClassifierOptions {
                trust: TrustPolicy {
                    allow_unsigned: true,
                    ..pack.trust()
                },
                ..lax.clone()
            },
        );
        match pack.name {
            "unsigned" => assert!(loaded.is_ok(), "{loaded:?}"),
            _ => assert!(pack.refusal.matches(&loaded.unwrap_err()), "{}", pack.name),
        }
    }
}

#[test]
fn an_apps_own_key_can_be_added_or_trusted_alone() {
    let packs = bad_packs("pinned");
    let untrusted = &packs.packs.iter().find(|p| p.name == "untrusted").unwrap().dir;
    let app = throwaway_signer(99);
    // Added beside the shipped keys: both packs load.
    Classifier::from_dir(untrusted, &options_trusting(&app)).unwrap();
    Classifier::from_dir(&packs.good, &options_trusting(&app)).unwrap();
    // Instead of them: the shipped pack is now untrusted.
    let only = ClassifierOptions {
        trust: TrustPolicy::only([app.public_key()]),
        ..ClassifierOptions::default()
    };
    Classifier::from_dir(untrusted, &only).unwrap();
    let err = Classifier::from_dir(&packs.good, &only).unwrap_err();
    assert!(matches!(err, safeframe::SafeFrameError::ModelUntrusted { .. }), "{err}");
    // A newer pack signed by the app passes a minimum the shipped one fails (rollback).
    safeframe_tests::signed::edit_manifest(untrusted, |m| m["version"] = "1.2.0".into());
    sign_pack(untrusted, &app);
    let minimum = ClassifierOptions {
        trust: options_trusting(&app)
            .trust
            .with_min_version(safeframe::signing::PackVersion::parse("1.1.0").unwrap()),
        ..ClassifierOptions::default()
    };
    Classifier::from_dir(untrusted, &minimum).unwrap();
    assert!(matches!(
        Classifier::from_dir(&packs.good, &minimum),
        Err(safeframe::SafeFrameError::ModelRolledBack { .. })
    ));
}

#[test]
fn a_corrupt_model_under_an_intact_signature_fails_its_sha256_when_first_needed() {
    let pack = safeframe_tests::doors::oracle_pack_with_corrupt_model();
    let second = SecondOpinion::from_bytes(
        pack.manifest.clone(),
        Some(pack.signature.clone()),
        pack.onnx.clone(),
        &ClassifierOptions::default(),
    )
    .unwrap();
    assert!(!second.is_loaded());
    let err = second.classifier().unwrap_err();
    assert!(
        matches!(err, safeframe::SafeFrameError::ModelLoad { ref reason, .. } if reason.contains("sha256")),
        "{err}"
    );
    // A primary model is checked at once.
    let err = ModelPack::from_bytes(&pack.manifest, pack.onnx).unwrap_err();
    assert!(
        matches!(err, safeframe::SafeFrameError::ChecksumMismatch { .. }),
        "{err}"
    );
}
