#!/usr/bin/env bash
# setup.sh: install every build and test dependency of mcunet on Debian bookworm (idempotent).
set -euo pipefail
pkgs=(llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 lld-22 libzstd-dev
  protobuf-c-compiler libprotobuf-c-dev libonnx-dev libonnx-testdata qemu-system-arm
  gcc-arm-none-eabi libnewlib-arm-none-eabi ninja-build cmake python3-onnx python3-numpy libclang-rt-22-dev
  libopenmpi-dev openmpi-bin)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
