#!/usr/bin/env bash
# Set up localmem from a clean clone: build llama-cpp-python with flags that work on this CPU,
# create the environment, install the package and the default models. Idempotent: a second run
# reuses everything (cached outside the clone, keyed by what produced it) and takes seconds.
#
#   LOCALMEM_CACHE_ROOT   where the wheel and dependency caches live (default ~/.cache/localmem)
#   LOCALMEM_CMAKE_ARGS   replace the detected llama.cpp build flags (e.g. "-DGGML_CUDA=on")
#   LOCALMEM_MODELS       models to install (default: every default model)
#   PYTHON                interpreter to use (3.11 or newer; default python3)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${LOCALMEM_CACHE_ROOT:-$HOME/.cache/localmem}"
PY="${PYTHON:-python3}"
LLAMA_VERSION="0.3.36"
say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[setup] error:\033[0m %s\n' "$*" >&2; exit 1; }

command -v "$PY" >/dev/null || die "$PY not found; install Python 3.11 or newer"
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "Python 3.11+ required, found $("$PY" -V)"
PYTAG="$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
mkdir -p "$CACHE/wheels" "$CACHE/venvs"

# ---- 1. llama-cpp-python, built from source with safe flags ---------------------------------
# GGML_NATIVE=ON (pip's default) crashes on machines that report AMX they cannot use; AVX-512 is
# enabled only where /proc/cpuinfo lists it. pip's wheel cache ignores CMAKE_ARGS, so the wheel is
# built with --no-cache-dir into a folder keyed by the flags, and installed from that file.
cmake_args() {
  if [[ -n "${LOCALMEM_CMAKE_ARGS:-}" ]]; then
    local args="$LOCALMEM_CMAKE_ARGS"
    [[ "$args" == *GGML_NATIVE* ]] || args="-DGGML_NATIVE=OFF $args"
    [[ "$args" == *LLAVA_BUILD* ]] || args="$args -DLLAVA_BUILD=OFF"
    echo "$args"; return
  fi
  local args="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF"
  if [[ "$(uname -s)" == "Linux" ]] && grep -qw avx512f /proc/cpuinfo; then
    local flags; flags="$(grep -m1 -w flags /proc/cpuinfo)"
    args="$args -DGGML_AVX512=ON"
    [[ " $flags " == *" avx512vbmi "* ]] && args="$args -DGGML_AVX512_VBMI=ON"
    [[ " $flags " == *" avx512_vnni "* ]] && args="$args -DGGML_AVX512_VNNI=ON"
    [[ " $flags " == *" avx512_bf16 "* ]] && args="$args -DGGML_AVX512_BF16=ON"
    [[ " $flags " == *" avx_vnni "* ]] && args="$args -DGGML_AVX_VNNI=ON"
  fi
  echo "$args"
}
CMAKE_FLAGS="$(cmake_args)"
WHEEL_KEY="$(printf '%s' "llama-cpp-python==$LLAMA_VERSION $PYTAG $CMAKE_FLAGS" | sha256sum | cut -c1-16)"
WHEEL_DIR="$CACHE/wheels/$WHEEL_KEY"
if ! ls "$WHEEL_DIR"/llama_cpp_python-*.whl >/dev/null 2>&1; then
  say "building llama-cpp-python $LLAMA_VERSION ($CMAKE_FLAGS); about 3-6 minutes, once"
  rm -rf "$WHEEL_DIR.tmp"; mkdir -p "$WHEEL_DIR.tmp"
  CMAKE_ARGS="$CMAKE_FLAGS" CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}" \
    "$PY" -m pip wheel --no-deps --no-cache-dir -q -w "$WHEEL_DIR.tmp" "llama-cpp-python==$LLAMA_VERSION" \
    || die "llama-cpp-python build failed (flags: $CMAKE_FLAGS)"
  rm -rf "$WHEEL_DIR"; mv "$WHEEL_DIR.tmp" "$WHEEL_DIR"
fi
WHEEL="$(ls "$WHEEL_DIR"/llama_cpp_python-*.whl | head -1)"

# ---- 2. dependencies: one shared environment per (lock file, Python, wheel) ----------------
DEPS_KEY="$( (cat "$ROOT/requirements.lock"; echo "$PYTAG $WHEEL_KEY") | sha256sum | cut -c1-16)"
DEPS="$CACHE/venvs/deps-$DEPS_KEY"
if [[ ! -f "$DEPS/.complete" ]]; then
  say "installing dependencies into $DEPS (once per requirements.lock)"
  rm -rf "$DEPS"
  "$PY" -m venv "$DEPS"
  "$DEPS/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/requirements.lock" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2) || die "dependency install failed"
  "$DEPS/bin/python" -m pip install -q --disable-pip-version-check --no-deps "$WHEEL" \
    || die "llama-cpp-python install failed"
  touch "$DEPS/.complete"
fi
DEPS_SITE="$("$DEPS/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"

# ---- 3. the clone's own light environment, layered on the shared one -----------------------
VENV="$ROOT/.venv"
if [[ -L "$VENV" ]]; then rm -f "$VENV"; fi
if [[ ! -x "$VENV/bin/python" || ! -f "$VENV/.localmem-light" ]]; then
  # no pip or setuptools of its own: the shared environment's (pinned in the lock) are used
  say "creating $VENV"
  rm -rf "$VENV"
  "$PY" -m venv --without-pip "$VENV"
  touch "$VENV/.localmem-light"
fi
VENV_SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
PTH="$VENV_SITE/_localmem_deps.pth"
WANT="import site; site.addsitedir('$DEPS_SITE')"
if [[ "$(cat "$PTH" 2>/dev/null)" != "$WANT" ]]; then
  echo "$WANT" > "$PTH"
fi
if ! "$VENV/bin/python" -c 'import localmem, sys; from pathlib import Path; sys.exit(Path(localmem.__file__).resolve().parents[1] != Path(sys.argv[1]).resolve())' "$ROOT" 2>/dev/null \
   || [[ ! -x "$VENV/bin/localmem" ]]; then
  say "installing localmem (editable) into $VENV"
  LOG="$(mktemp)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e "$ROOT" \
    >"$LOG" 2>&1 || { cat "$LOG" >&2; die "pip install -e . failed"; }
  rm -f "$LOG"
fi

# Bytecode for the clone's own modules, as a wheel install would have: an editable install leaves
# them to be compiled on every start when PYTHONDONTWRITEBYTECODE is set (saves ~50 ms of each
# one-shot command; incremental, under a second).
"$VENV/bin/python" -m compileall -q -j 0 "$ROOT/localmem" "$ROOT/tui" "$ROOT/adapters" >/dev/null \
  || say "warning: could not precompile bytecode (commands start a little slower)"

# ---- 4. models: assembled once, sha256-verified ---------------------------------------------
# shellcheck disable=SC2086
"$VENV/bin/localmem" models install ${LOCALMEM_MODELS:---defaults}
say "ready: $VENV/bin/localmem"
