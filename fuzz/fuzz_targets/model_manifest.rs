//! The model-pack manifest reader (`ModelManifest::from_json`), the pack's integrity check
//! (`ModelPack::from_bytes`: the ONNX bytes must have the manifest's sha256) and its signature
//! check (`TrustPolicy::check_pack`, with the "ONNX" bytes also read as a `signature.json`).
//!
//! Input: the manifest JSON, then (after the first NUL byte, if any) the "ONNX" bytes.
//! Checks: no panic; an accepted manifest serialises to JSON that reads back equal; its
//! `category_indices` never panics; a pack is refused unless its bytes have the manifest's
//! sha256, and accepted when they do; a sampler for its input never panics to build.
#![no_main]

use libfuzzer_sys::fuzz_target;
use safeframe::manifest::{sha256_hex, ModelManifest, ModelPack};
use safeframe::sampler::Sampler;
use safeframe::SafeFrameError;

fuzz_target!(|data: &[u8]| {
    let (json, onnx) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let parsed = ModelManifest::from_json(json);
    let pack = ModelPack::from_bytes(json, onnx.to_vec());
    // No input forges a signature by a shipped key; none makes the check panic.
    if let Ok(manifest) = &parsed {
        let trust = safeframe::signing::TrustPolicy::default();
        assert!(trust.check_pack(json, manifest, Some(onnx)).is_err(), "a forged signature was accepted");
        let _ = trust.allowing_unsigned().check_pack(json, manifest, None);
    }
    let _ = safeframe::signing::PackSignature::parse(onnx);
    let Ok(manifest) = parsed else {
        assert!(pack.is_err(), "a pack with a bad manifest must be refused");
        return;
    };
    let actual = sha256_hex(onnx);
    match &pack {
        Ok(pack) => {
            assert_eq!(manifest.sha256, actual);
            assert_eq!(pack.manifest(), &manifest);
            assert_eq!(pack.onnx(), onnx);
        }
        Err(SafeFrameError::ChecksumMismatch {
            expected, actual: got, ..
        }) => {
            assert_ne!(manifest.sha256, actual);
            assert_eq!((expected, got), (&manifest.sha256, &actual));
        }
        Err(e) => panic!("a valid manifest's pack failed with {e}"),
    }
    // Round trip through the manifest's own serialisation.
    let printed = serde_json::to_vec(&manifest).expect("a manifest serialises");
    let again = ModelManifest::from_json(&printed).expect("a serialised manifest reads back");
    assert_eq!(again, manifest);
    // With the right sha256 the pack is accepted.
    let mut fixed = manifest.clone();
    fixed.sha256 = actual;
    let fixed_json = serde_json::to_vec(&fixed).expect("a manifest serialises");
    ModelPack::from_bytes(&fixed_json, onnx.to_vec()).expect("bytes with the manifest's sha256 are accepted");
    let _ = manifest.category_indices();
    let _ = (manifest.input.channel_order(), manifest.output.activation());
    let sampler = Sampler::new(&manifest.input);
    assert_eq!(
        sampler.tensor_len(),
        manifest.input.width as usize * manifest.input.height as usize * 3
    );
});
