#!/usr/bin/env python3
"""Side by side with torchflows: the same architectures (torchflows' preset layouts and widths,
and a wide variant) timed in torchflows and in this crate, in one run on the same machine, with a
table of ratios.

Setup (not part of CI; needs Python 3.9+ and about 3 GB for torch):

    python3 -m venv venv-torch
    venv-torch/bin/pip install torch==2.* torchflows==1.2.1
    venv-torch/bin/python benches/torchflows_side_by_side.py [--quick] [--only RealNVP]

It builds and runs `cargo run --release --features rayon --example bench_side_by_side`, which
prints one JSON line per architecture, with the figures of the
flow as built and of its inference form (`Flow::folded`, a second table row). Every figure on both sides is the best of several timed
repetitions (the least disturbed by other work on a shared machine), under `torch.no_grad()`, in
float32, with `torch.set_num_threads(1)` (and 2 for the two-thread columns).
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time
import warnings

import torch

# torchflows 1.2.1 indexes tensors in a way torch 2.x deprecates, warning on every call.
warnings.filterwarnings("ignore", category=UserWarning, module="torchflows")
from torchflows.flows import Flow
from torchflows.bijections.finite.autoregressive.architectures import (
    IAF,
    MAF,
    NICE,
    CouplingRQNSF,
    MaskedAutoregressiveRQNSF,
    RealNVP,
)

BATCH = 8192
# Seconds spent on one figure at most (after its first call): torchflows' autoregressive-spline
# sampling takes tens of seconds per batch, and a full run would otherwise exceed 15 minutes.
BUDGET = 20.0
ARCHS = {
    "NICE": NICE,
    "RealNVP": RealNVP,
    "MAF": MAF,
    "IAF": IAF,
    "CouplingRQNSF": CouplingRQNSF,
    "MaskedAutoregressiveRQNSF": MaskedAutoregressiveRQNSF,
}


def best(f, reps, span, budget=None):
    """Best seconds per call of f over reps repetitions of at least span seconds each, stopping
    early (after at least one timed call) once budget seconds have gone into this figure."""
    budget = BUDGET if budget is None else budget
    begin = time.perf_counter()
    start = begin
    f()
    first = time.perf_counter() - start
    if first >= budget / 2:
        return first
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            f()
        if time.perf_counter() - start >= span / 4:
            break
        calls *= 2
    result = math.inf
    for _ in range(reps):
        start = time.perf_counter()
        for _ in range(calls):
            f()
        result = min(result, (time.perf_counter() - start) / calls)
        if time.perf_counter() - begin >= budget:
            break
    return result


def torchflows_figures(arch, dim, variant, reps, span):
    torch.manual_seed(0)
    kwargs = {}
    if variant == "wide":
        kwargs["conditioner_kwargs"] = {"n_hidden": 256}
    flow = Flow(ARCHS[arch](event_shape=(dim,), **kwargs))
    flow.eval()
    x1 = torch.randn(1, dim)
    xb = torch.randn(BATCH, dim)
    out = {}
    with torch.no_grad():
        for threads in (1, 2):
            torch.set_num_threads(threads)
            suffix = "" if threads == 1 else "_2threads"
            if threads == 1 and variant != "wide":
                out["log_prob_1_ns"] = best(lambda: flow.log_prob(x1), reps, span) * 1e9
                out["sample_1_ns"] = best(lambda: flow.sample(1), reps, span) * 1e9
            out["log_prob_8192_per_s" + suffix] = BATCH / best(lambda: flow.log_prob(xb), reps, span)
            if variant != "wide":
                out["sample_8192_per_s" + suffix] = BATCH / best(lambda: flow.sample(BATCH), reps, span)
    torch.set_num_threads(1)
    return out


def print_row(name, row, theirs, columns, prefix):
    """One table row: our figures (fields starting with prefix) against torchflows'."""
    cells = []
    for key, _, latency in columns:
        a, b = row.get(prefix + key), theirs.get(key)
        if a is None or b is None:
            cells.append("")
            continue
        ratio = b / a if latency else a / b
        if latency:
            cells.append(f"{a:.0f} ns vs {b / 1e3:.0f} µs: **{ratio:.0f}x**")
        else:
            cells.append(f"{a / 1e6:.2f} M/s vs {b / 1e3:.1f} k/s: **{ratio:.0f}x**")
    one, two = row.get(prefix + "log_prob_8192_per_s"), row.get(prefix + "log_prob_8192_per_s_2threads")
    scaling = f"{two / one:.2f}x" if one and two else ""
    waited = row.get(prefix + "log_prob_8192_waited")
    if scaling and waited:
        # Our threads waited for a core during the calls timed: a figure of the load as well.
        scaling += f" (waited {waited:.2f})"
    print(f"| {name} | {row['dim']} | " + " | ".join(cells) + f" | {scaling} |")


def ours(args):
    command = ["cargo", "run", "--release", "--features", "rayon", "--example", "bench_side_by_side", "--"]
    if args.quick:
        command.append("--quick")
    if args.only:
        command += ["--only", args.only]
    result = subprocess.run(command, check=True, capture_output=True, text=True,
                            cwd=os.path.join(os.path.dirname(__file__), ".."))
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def main():
    global BUDGET
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repetitions")
    parser.add_argument("--only", help="architectures whose name contains this")
    parser.add_argument("--budget", type=float, default=BUDGET,
                        help="seconds spent on one torchflows figure at most (default %(default)s)")
    args = parser.parse_args()
    BUDGET = args.budget
    reps, span = (3, 0.06) if args.quick else (7, 0.25)
    rows = ours(args)
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores)", file=sys.stderr)
    columns = [
        ("log_prob_1_ns", "log_prob batch 1", True),
        ("log_prob_8192_per_s", "log_prob batch 8192", False),
        ("sample_8192_per_s", "sample batch 8192", False),
        ("log_prob_8192_per_s_2threads", "log_prob 8192, 2 threads", False),
    ]
    print("| architecture | dim | " + " | ".join(c[1] for c in columns) + " | ours 2 thr / 1 thr |")
    print("|---|---|" + "---|" * (len(columns) + 1))
    for row in rows:
        theirs = torchflows_figures(row["arch"], row["dim"], row["variant"], reps, span)
        name = row["arch"] + (" (wide: hidden 256)" if row["variant"] == "wide" else "")
        print_row(name, row, theirs, columns, "")
        if "folded_log_prob_1_ns" in row:
            print_row(name + ", folded", row, theirs, columns, "folded_")
        if "conditioner_gflops" in row:
            print(f"\nwide conditioner: {row['conditioner_gflops']:.1f} GFLOP/s of a measured FMA peak of "
                  f"{row['peak_gflops']:.1f} GFLOP/s ({100 * row['conditioner_gflops'] / row['peak_gflops']:.0f} %)")
        if "conditioner_dense_gflops" in row:
            print(f"its dense layers alone: {row['conditioner_dense_gflops']:.1f} GFLOP/s "
                  f"({100 * row['conditioner_dense_of_peak']:.0f} % of the peak)")
    print(f"load average after: {os.getloadavg()[0]:.2f} (2 cores)", file=sys.stderr)


if __name__ == "__main__":
    main()
