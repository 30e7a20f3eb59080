# Shared by scripts/demo and scripts/test: checks the toolchain and installs ONNX Runtime.
# shellcheck shell=bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "SafeFrame needs Rust (cargo, rustc >= 1.85). Install it with rustup, then run this again." >&2
    exit 1
  fi
fi
ORT_LIB="$("$ROOT/scripts/setup-ort")"
export ORT_LIB
