//! The workspace's `uniffi-bindgen`: generates the Kotlin and Swift bindings of `safeframe-ffi`.
//!
//! Use it through `scripts/generate-bindings`, which runs it in library mode on the built
//! `libsafeframe_ffi` and puts the files where the Android and iOS packages expect them.

fn main() {
    uniffi::uniffi_bindgen_main()
}
