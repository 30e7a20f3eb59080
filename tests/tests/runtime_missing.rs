//! A missing or wrong ONNX Runtime is a typed error naming where SafeFrame looked.
//!
//! This file is its own test process, and none of its tests loads a working runtime, so each
//! sees a process without ONNX Runtime.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use safeframe::classifier::{Classifier, ClassifierOptions};
use safeframe::SafeFrameError;
use safeframe_tests::fixture;

fn options(library: &Path) -> ClassifierOptions {
    ClassifierOptions {
        runtime_library: Some(library.to_path_buf()),
        ..ClassifierOptions::default()
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("safeframe-runtime-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn missing_library_is_not_found_error_naming_the_path() {
    let path = PathBuf::from("/nonexistent/safeframe/libonnxruntime.so");
    let err = Classifier::from_dir(fixture("oracle/oracle"), &options(&path)).unwrap_err();
    match &err {
        SafeFrameError::RuntimeNotFound { searched } => assert_eq!(searched, &vec![path.clone()]),
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        err.to_string().contains("/nonexistent/safeframe/libonnxruntime.so"),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_a_library_is_a_load_error() {
    let path = scratch("garbage").join("libonnxruntime.so");
    std::fs::write(&path, b"not an ELF file").unwrap();
    let err = Classifier::from_dir(fixture("oracle/oracle"), &options(&path)).unwrap_err();
    assert!(matches!(err, SafeFrameError::RuntimeLoad { .. }), "{err}");
}

#[test]
fn an_old_onnx_runtime_is_refused_with_its_version() {
    // A stand-in library that answers OrtGetApiBase like ONNX Runtime 1.10 would.
    let dir = scratch("old");
    let source = dir.join("fake_ort.c");
    std::fs::write(
        &source,
        r#"
typedef struct { const void *(*GetApi)(unsigned); const char *(*GetVersionString)(void); } OrtApiBase;
static const void *get_api(unsigned version) { (void)version; return 0; }
static const char *version_string(void) { return "1.10.0"; }
static const OrtApiBase base = { get_api, version_string };
const OrtApiBase *OrtGetApiBase(void) { return &base; }
"#,
    )
    .unwrap();
    let library = dir.join("libonnxruntime.so.1.10.0");
    // The stand-in must be built for the test's own target: `SAFEFRAME_TEST_CC` names a cross
    // compiler when the tests run under emulation (scripts/test-arm), else the host's `cc`.
    let cc = std::env::var_os("SAFEFRAME_TEST_CC").unwrap_or_else(|| "cc".into());
    let status = std::process::Command::new(&cc)
        .args(["-shared", "-fPIC", "-o"])
        .arg(&library)
        .arg(&source)
        .status()
        .unwrap_or_else(|e| panic!("a C compiler ({cc:?}) is needed for this test: {e}"));
    assert!(status.success());
    let err = Classifier::from_dir(fixture("oracle/oracle"), &options(&library)).unwrap_err();
    match &err {
        SafeFrameError::RuntimeLoad { reason, .. } => assert!(reason.contains("1.10.0"), "{reason}"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn the_default_search_lists_every_place() {
    let paths = safeframe::runtime::search_paths();
    assert!(paths
        .iter()
        .any(|p| p.ends_with(".runtime/onnxruntime/libonnxruntime.so.1.31.1")));
    let exe_dir = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
    assert!(paths.iter().any(|p| p.parent() == Some(exe_dir.as_path())));
}
