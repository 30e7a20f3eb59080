# Sourced by build_models.sh and build_mid.sh: the pinned Python venv (models/build/.venv), the
# stub modules tensorflowjs needs at import time, the environment for reproducible conversions,
# and the pinned npm package (models/build/node_modules). Sets HERE, MODELS, WORK, VENV, PY, STUBS
# and log(). A nested call (build_models.sh runs build_mid.sh) reuses what the outer one set up.

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODELS="$(dirname "$HERE")"
WORK="$HERE/work"
VENV="$HERE/.venv"
PY="$VENV/bin/python"
PYTHON="${PYTHON:-python3.11}"
STUBS="$WORK/stubs"

log() { printf '\n== %s\n' "$*"; }

if [[ "${SAFEFRAME_BUILD_ENV_READY:-}" != 1 ]]; then
  # ---------------------------------------------------------------- Python venv (pinned)
  log "Python venv"
  req_hash="$(cat "$HERE/requirements.txt" "$HERE/requirements-nodeps.txt" | sha256sum | cut -d' ' -f1)"
  if [[ ! -x "$PY" || "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$req_hash" ]]; then
    "$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11), "the pins are for Python 3.11; set PYTHON=/path/to/python3.11"'
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$PY" -m pip install --quiet -r "$HERE/requirements.txt"
    "$PY" -m pip install --quiet --no-deps -r "$HERE/requirements-nodeps.txt"
    echo "$req_hash" > "$VENV/.requirements.sha256"
  else
    echo "reusing $VENV"
  fi

  # tensorflowjs imports these at import time; neither the layers-model path nor
  # tfjs-graph-converter uses them.
  mkdir -p "$STUBS/tensorflow_decision_forests" "$STUBS/jax/experimental/jax2tf"
  for f in tensorflow_decision_forests/__init__.py jax/__init__.py jax/experimental/__init__.py \
           jax/experimental/jax2tf/__init__.py; do
    printf '# Empty stub: tensorflowjs imports this module; converting a tfjs layers model does not use it.\n' > "$STUBS/$f"
  done

  # ---------------------------------------------------------------- npm nsfwjs@4.4.0 (pinned)
  log "npm nsfwjs@4.4.0"
  ( cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error )
  export SAFEFRAME_BUILD_ENV_READY=1
fi
export TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=2 PYTHONHASHSEED=0 CUDA_VISIBLE_DEVICES=""
