//! Signed model packs through the uniffi API and the C ABI: each bad pack (tampered,
//! unsigned, untrusted, revoked, rolled back) is refused with its own error kind and C code,
//! for the primary pack and the second opinion; the untouched copy loads; the trust options
//! reach the core by name on both doors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ffi::{c_char, CStr, CString};

use safeframe_ffi::c_api::*;
use safeframe_ffi::{ErrorKind, FilterOptions, Policy, Preset, SafeFrameFilter};
use safeframe_tests::signed::{bad_packs, BadPack};

fn options(pack: &BadPack) -> FilterOptions {
    FilterOptions {
        revoked_keys: pack.revoked_keys.clone(),
        min_version: pack.min_version.clone(),
        ..FilterOptions::default()
    }
}

fn path(dir: &std::path::Path) -> String {
    dir.to_string_lossy().into_owned()
}

#[test]
fn uniffi_refuses_each_bad_pack_with_its_own_error_kind() {
    let packs = bad_packs("uniffi");
    let policy = || Policy::preset(Preset::Child);
    SafeFrameFilter::from_directory(path(&packs.good), policy(), false, FilterOptions::default()).unwrap();
    for pack in &packs.packs {
        let err = SafeFrameFilter::from_directory(path(&pack.dir), policy(), false, options(pack)).unwrap_err();
        assert_eq!(err.kind().name(), pack.refusal.kind_name(), "{}: {err}", pack.name);
        // As the second opinion (its pack is checked when the filter is made).
        let err = SafeFrameFilter::with_second_opinion(
            path(&packs.good),
            path(&pack.dir),
            Policy::preset_for_models(Preset::Adult, false),
            false,
            options(pack),
        )
        .map(|_| ())
        .unwrap_err();
        // The untouched primary passes the revoked and rolled-back settings only if they do
        // not refuse it too: either way the error is the case's own kind.
        assert_eq!(
            err.kind().name(),
            pack.refusal.kind_name(),
            "{} (second): {err}",
            pack.name
        );
        // From bytes, with the pack's signature file if it has one.
        let read = |file: &str| std::fs::read(pack.dir.join(file)).ok();
        let err = SafeFrameFilter::from_bytes(
            read("manifest.json").unwrap(),
            read("model.onnx").unwrap(),
            policy(),
            false,
            options(pack),
            read("signature.json"),
        )
        .unwrap_err();
        assert_eq!(
            err.kind().name(),
            pack.refusal.kind_name(),
            "{} (bytes): {err}",
            pack.name
        );
    }
    // allow_unsigned loads the unsigned pack, by name on the options.
    let unsigned = packs.packs.iter().find(|p| p.name == "unsigned").unwrap();
    let lax = FilterOptions {
        allow_unsigned: true,
        ..FilterOptions::default()
    };
    SafeFrameFilter::from_directory(path(&unsigned.dir), policy(), false, lax).unwrap();
    // The app's own key, pinned: the untrusted pack loads.
    let untrusted = packs.packs.iter().find(|p| p.name == "untrusted").unwrap();
    let pinned = FilterOptions {
        trusted_keys: vec![safeframe_tests::throwaway_signer(99).public_key().to_string()],
        ..FilterOptions::default()
    };
    SafeFrameFilter::from_directory(path(&untrusted.dir), policy(), false, pinned).unwrap();
}

#[test]
fn the_new_error_kinds_have_codes_after_18() {
    let codes: Vec<(ErrorKind, i32)> = ErrorKind::ALL.iter().copied().filter(|(_, c)| *c > 18).collect();
    assert_eq!(
        codes,
        [
            (ErrorKind::ModelUnsigned, 19),
            (ErrorKind::ModelTampered, 20),
            (ErrorKind::ModelUntrusted, 21),
            (ErrorKind::ModelKeyRevoked, 22),
            (ErrorKind::ModelRolledBack, 23),
        ]
    );
}

/// Loads through `safeframe_filter_new_with_options`; the C status of the failure, if any.
fn c_load(
    dir: &std::path::Path,
    second: Option<&std::path::Path>,
    pack: Option<&BadPack>,
    allow_unsigned: bool,
) -> i32 {
    let dir = CString::new(path(dir)).unwrap();
    let second = second.map(|s| CString::new(path(s)).unwrap());
    let policy = CString::new(if second.is_some() { "adult" } else { "child" }).unwrap();
    let revoked: Vec<CString> = pack
        .map(|p| {
            p.revoked_keys
                .iter()
                .map(|k| CString::new(k.as_str()).unwrap())
                .collect()
        })
        .unwrap_or_default();
    let revoked_ptrs: Vec<*const c_char> = revoked.iter().map(|k| k.as_ptr()).collect();
    let min_version = pack
        .and_then(|p| p.min_version.clone())
        .map(|v| CString::new(v).unwrap());
    let mut options = safeframe_filter_options_default();
    options.allow_unsigned = allow_unsigned;
    options.revoked_keys = revoked_ptrs.as_ptr();
    options.revoked_key_count = revoked_ptrs.len();
    options.min_version = min_version.as_ref().map_or(std::ptr::null(), |v| v.as_ptr());
    // SAFETY: NUL-terminated strings and arrays that outlive the call.
    let filter = unsafe {
        safeframe_filter_new_with_options(
            dir.as_ptr(),
            second.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            policy.as_ptr(),
            false,
            &options,
        )
    };
    if filter.is_null() {
        let code = safeframe_last_error_code();
        // SAFETY: a message was set by the failed call on this thread.
        let message = unsafe { CStr::from_ptr(safeframe_last_error()) };
        assert!(!message.to_bytes().is_empty());
        code
    } else {
        // SAFETY: a filter this test made, freed once.
        unsafe { safeframe_filter_free(filter) };
        SAFEFRAME_OK
    }
}

#[test]
fn the_c_abi_refuses_each_bad_pack_with_its_own_code() {
    let packs = bad_packs("c");
    assert_eq!(c_load(&packs.good, None, None, false), SAFEFRAME_OK);
    for pack in &packs.packs {
        let expected = ErrorKind::ALL
            .iter()
            .find(|(kind, _)| kind.name() == pack.refusal.kind_name())
            .map(|&(_, code)| code)
            .unwrap();
        assert_eq!(c_load(&pack.dir, None, Some(pack), false), expected, "{}", pack.name);
        assert_eq!(
            c_load(&packs.good, Some(&pack.dir), Some(pack), false),
            expected,
            "{} (second)",
            pack.name
        );
    }
    let unsigned = packs.packs.iter().find(|p| p.name == "unsigned").unwrap();
    assert_eq!(c_load(&unsigned.dir, None, None, true), SAFEFRAME_OK);
    // The old constructors keep the default trust: the unsigned pack is refused there too.
    let dir = CString::new(path(&unsigned.dir)).unwrap();
    // SAFETY: NUL-terminated strings that outlive the call.
    let filter = unsafe { safeframe_filter_new(dir.as_ptr(), c"child".as_ptr(), false, 1) };
    assert!(filter.is_null());
    assert_eq!(safeframe_last_error_code(), ErrorKind::ModelUnsigned.code());
}

#[test]
fn c_options_with_bad_arrays_are_invalid_arguments() {
    let packs = bad_packs("c-args");
    let dir = CString::new(path(&packs.good)).unwrap();
    let mut options = safeframe_filter_options_default();
    options.trusted_key_count = 2; // with a NULL array
                                   // SAFETY: NUL-terminated strings; the options lie about the array, which must be refused.
    let filter = unsafe {
        safeframe_filter_new_with_options(dir.as_ptr(), std::ptr::null(), c"child".as_ptr(), false, &options)
    };
    assert!(filter.is_null());
    assert_eq!(safeframe_last_error_code(), ErrorKind::InvalidArgument.code());
    let bad = [c"ed25519:00".as_ptr()];
    options.trusted_keys = bad.as_ptr();
    options.trusted_key_count = 1;
    // SAFETY: as above, with a real array of one string.
    let filter = unsafe {
        safeframe_filter_new_with_options(dir.as_ptr(), std::ptr::null(), c"child".as_ptr(), false, &options)
    };
    assert!(filter.is_null());
    assert_eq!(safeframe_last_error_code(), ErrorKind::InvalidArgument.code());
    // NULL options are the defaults.
    // SAFETY: NUL-terminated strings.
    let filter = unsafe {
        safeframe_filter_new_with_options(
            dir.as_ptr(),
            std::ptr::null(),
            c"child".as_ptr(),
            false,
            std::ptr::null(),
        )
    };
    assert!(!filter.is_null());
    // SAFETY: made above, freed once.
    unsafe { safeframe_filter_free(filter) };
}
