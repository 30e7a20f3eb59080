//! Execution providers: a provider the loaded ONNX Runtime lacks is a typed error, never a
//! silent CPU fallback; the fallback happens only when asked for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use safeframe::classifier::{Classifier, ClassifierOptions, ExecutionProvider};
use safeframe::frame::{Frame, PixelFormat};
use safeframe::SafeFrameError;
use safeframe_tests::fixture;

fn load(provider: ExecutionProvider, fallback_to_cpu: bool) -> Result<Classifier, SafeFrameError> {
    let options = ClassifierOptions {
        execution_provider: provider,
        fallback_to_cpu,
        ..ClassifierOptions::default()
    };
    Classifier::from_dir(fixture("oracle/oracle"), &options)
}

#[test]
fn cpu_is_the_default_and_always_works() {
    assert_eq!(ClassifierOptions::default().execution_provider, ExecutionProvider::Cpu);
    load(ExecutionProvider::Cpu, false).unwrap();
}

/// On this host ONNX Runtime is the desktop PyPI build (CPU only). Each accelerator is either
/// refused with the typed error, or — if the loaded library really has it — works.
#[test]
fn providers_missing_from_the_runtime_are_typed_errors_unless_falling_back() {
    let red = [255u8, 0, 0].repeat(8 * 8);
    let frame = Frame::packed(&red, 8, 8, PixelFormat::Rgb8).unwrap();
    let reference = load(ExecutionProvider::Cpu, false).unwrap().classify(&frame).unwrap();
    for provider in [
        ExecutionProvider::Xnnpack,
        ExecutionProvider::Nnapi,
        ExecutionProvider::CoreMl,
    ] {
        match load(provider, false) {
            Err(SafeFrameError::ExecutionProviderUnavailable { provider: name, reason }) => {
                assert_eq!(name, provider.name());
                let text = SafeFrameError::ExecutionProviderUnavailable { provider: name, reason }.to_string();
                assert!(
                    text.contains(provider.name()) && text.contains("not available"),
                    "{text}"
                );
                eprintln!("{}: {text}", provider.name());
                // With the fallback the same request loads and runs on the CPU.
                let scores = load(provider, true).unwrap().classify(&frame).unwrap();
                assert_eq!(scores, reference);
            }
            Ok(classifier) => {
                eprintln!("{}: available in the loaded ONNX Runtime", provider.name());
                let scores = classifier.classify(&frame).unwrap();
                assert!(safeframe_tests::max_score_diff(&scores, &reference) < 1e-3);
            }
            Err(other) => panic!("{}: unexpected error {other}", provider.name()),
        }
    }
}
