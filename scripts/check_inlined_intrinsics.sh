#!/usr/bin/env bash
# Fails when a release build leaves an x86 intrinsic out of line.
#
# The lane kernels are generic over the instruction set and compiled inside functions that enable
# it (`kernel::dispatch`). An intrinsic is inlined only into code compiled with its target
# features; code reached through a function value or a closure that LLVM does not inline is
# compiled without them, and then every intrinsic in it becomes a call: once that made the
# AVX-512 kernels four to eight times slower with every test still passing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(uname -m)" != x86_64 ]; then
    echo "not x86-64: no intrinsics to check"
    exit 0
fi
# Every example: the benchmark instantiates every preset's batch path, `fit` the training path,
# `digits_images` the image layers.
cargo build --release --features rayon --examples
status=0
for source in examples/*.rs; do
    binary="${CARGO_TARGET_DIR:-target}/release/examples/$(basename "$source" .rs)"
    if [ ! -f "$binary" ]; then
        echo "no binary $binary to check" >&2
        status=1
        continue
    fi
    # std's feature detection calls `_xgetbv` once; it is not a kernel.
    left=$(nm -C "$binary" | grep -E ' [tT] core::core_arch::x86' | grep -v '::_xgetbv$' || true)
    if [ -n "$left" ]; then
        echo "x86 intrinsics compiled out of line (called, not inlined) in $binary:" >&2
        echo "$left" >&2
        status=1
    else
        echo "no x86 intrinsic out of line in $binary"
    fi
done
exit $status
