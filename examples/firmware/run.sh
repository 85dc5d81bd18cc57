#!/usr/bin/env bash
# Builds the firmware, runs it in QEMU (netduinoplus2, a Cortex-M4F) with semihosting, and compares
# its results with the host's: equal within 1e-5. Also checks that the firmware links no panic
# path and prints its flash and peak stack. Needs qemu-system-arm (Debian: qemu-system-arm) and
# the thumbv7em-none-eabihf target (rustup target add thumbv7em-none-eabihf).
#
#   examples/firmware/run.sh            # from anywhere
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
firmware="$root/examples/firmware"
target_dir="${CARGO_TARGET_DIR:-$firmware/target}"
elf="$target_dir/thumbv7em-none-eabihf/release/flows-firmware"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The host: export the flow (regenerating the committed parameters when they are stale) and keep
# its results. The test profile shares its build with `cargo test`.
host=(cargo run --quiet --profile test --example export_firmware_flow --)
if ! "${host[@]}" --check; then
    echo "NOTE: regenerating examples/firmware/src/parameters.rs; commit the new file" >&2
    "${host[@]}"
fi

# The firmware: release, opt-level "s", LTO (its own Cargo project).
(cd "$firmware" && cargo build --release --quiet)

# No panic path survives in the linked firmware: the panic handler and core::panicking are
# referenced only if something can panic.
nm_tool="$(command -v arm-none-eabi-nm || command -v llvm-nm || command -v nm)"
if "$nm_tool" -C "$elf" | grep -E "panicking|rust_begin_unwind|panic_bounds_check"; then
    echo "FAILED: the firmware links a panic path (symbols above)" >&2
    exit 1
fi
echo "no panic path linked in the firmware"

# Run it. Semihosting carries the output and the exit code; the timeout guards a hang.
timeout 300 qemu-system-arm -machine netduinoplus2 -nographic \
    -semihosting-config enable=on,target=native -kernel "$elf" >"$work/firmware.txt"
cat "$work/firmware.txt"

# Compare with the host.
"${host[@]}" --compare "$work/firmware.txt" | tail -n 1

# Flash and RAM: code (.vector_table + .text), read-only data (.rodata, which holds the
# parameters), the parameters alone, and the peak stack the firmware measured.
size_tool="$(command -v arm-none-eabi-size || command -v llvm-size)"
"$size_tool" -A "$elf" | awk '
    $1 == ".vector_table" || $1 == ".text" { code += $2 }
    $1 == ".rodata" { rodata = $2 }
    $1 == ".data" || $1 == ".bss" || $1 == ".uninit" { ram += $2 }
    END { printf "flash: code %d B, read-only data %d B, total %d B; static RAM %d B\n", code, rodata, code + rodata, ram }'
parameters_hex="$("$nm_tool" -S "$elf" | awk '/PARAMETERS_DATA/ { print $2 }')"
echo "parameters in flash: $((16#${parameters_hex:-0})) B"
grep '^stack' "$work/firmware.txt" | awk '{ printf "peak stack: %d B; the flow in RAM %d B; building and loading it %d B; inference (flow included) %d B\n", $2, $4, $6, $8 }'
