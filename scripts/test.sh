#!/usr/bin/env bash
# test.sh: set up, build, and run every test (unit, lit, end-to-end, conformance), then every test again built with
# AddressSanitizer + UndefinedBehaviorSanitizer, then a short libFuzzer run of each front end (clang-22).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/setup.sh
jobs=$(nproc)
cmake -S . -B build -G Ninja >/dev/null
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"
cmake -S . -B build-asan -G Ninja -DMCUNET_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan --output-on-failure -j "$jobs" -E '^conformance'
cmake -S . -B build-fuzz -G Ninja -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 -DMCUNET_FUZZ=ON >/dev/null
cmake --build build-fuzz -j "$jobs" --target fuzz_onnx fuzz_tflite fuzz_npz
ctest --test-dir build-fuzz --output-on-failure -R '^fuzz/'
