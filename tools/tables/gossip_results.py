#!/usr/bin/env python3
"""docs/gossip-results.md's table: accuracy (mean ± std over seeds), consensus and sync cost per strategy.

    python3 tools/tables/gossip_results.py [--energy] 'LABEL=GLOB[@EPOCH]' ...

Each argument names one row: LABEL, then the run folders (each with summary.json) that differ
only by seed, and optionally which epoch to read (1-based; default the last). Runs of a longer
sweep give their epoch-1 figures with @1: with a constant learning rate, epoch 1 of a 3-epoch run
is a 1-epoch run. A row gives the test accuracy as mean ± sample standard deviation (n − 1), Ξ²
and SNR of conv1 and conv2 as their mean over the runs, and the epoch's sync messages, bytes and
byte-hops per sample (their mean; gossip's counts differ a little by seed). With --energy the
columns are instead accuracy, sync bytes and byte-hops per sample, sync and total energy per
sample (µJ) and the total over the conventional baseline's (tying-cost.md's topology table).
"""

import json
import os
import statistics
import sys

from completed_runs import completed_runs


def fmt(v):
    if v == 0:
        return "0"
    if v == float("inf"):
        return "inf"
    return f"{v:.3g}"


def baseline_uj(folder):
    with open(os.path.join(folder, "summary.json")) as fh:
        return json.load(fh)["baseline"]["energy_pj_per_sample"]["total"] / 1e6


def row(label, spec, energy=False):
    pattern, _, epoch = spec.partition("@")
    runs = completed_runs(pattern)
    folders = [f for f, _ in runs]
    picked = []
    for f, s in runs:
        epochs = s["epochs"]
        k = int(epoch) if epoch else len(epochs)
        if not 1 <= k <= len(epochs):
            sys.exit(f"error: {f} has {len(epochs)} epoch(s), not epoch {k}")
        picked.append((s["config"]["seed"], epochs[k - 1]))
    acc = [e["test_accuracy"] * 100 for _, e in picked]
    mean = statistics.mean(acc)
    spread = f" ± {statistics.stdev(acc):.2f}" if len(acc) > 1 else ""

    def avg(get):
        values = [get(e) for _, e in picked]  # SNR is written "Infinity" (or null) when Ξ² is 0
        values = [float("inf") if v is None or isinstance(v, str) else v for v in values]
        return float("inf") if float("inf") in values else statistics.mean(values)

    c1 = avg(lambda e: e["consensus"]["conv1"]["xi2"])
    c2 = avg(lambda e: e["consensus"]["conv2"]["xi2"])
    s1 = avg(lambda e: e["consensus"]["conv1"]["snr"])
    s2 = avg(lambda e: e["consensus"]["conv2"]["snr"])
    sync = [e["traffic"]["sync"] for _, e in picked]
    msgs = statistics.mean(t["messages"] for t in sync)
    per_sample = statistics.mean(t["bytes_per_sample"] for t in sync)
    hops = statistics.mean(t["byte_hops_per_sample"] for t in sync)
    seeds = ", ".join(str(sd) for sd, _ in sorted(picked, key=lambda p: p[0]))
    if energy:
        sync_uj = statistics.mean(e["energy_pj_per_sample"]["sync_transport"] for _, e in picked) / 1e6
        total_uj = statistics.mean(e["energy_pj_per_sample"]["total"] for _, e in picked) / 1e6
        return (f"| {label} | {mean:.2f}{spread} % | {len(picked)} | {per_sample:,.0f} | {hops:,.0f} | "
                f"{sync_uj:.2f} | {total_uj:.1f} | {total_uj / baseline_uj(folders[0]):.2f} |")
    return (f"| {label} | {mean:.2f}{spread} % | {len(picked)} ({seeds}) | {fmt(c1)} | {fmt(c2)} | {fmt(s1)} | {fmt(s2)} | "
            f"{msgs:,.0f} | {per_sample:,.0f} | {hops:,.0f} |")


def main():
    args = sys.argv[1:]
    energy = "--energy" in args
    args = [a for a in args if a != "--energy"]
    if not args or any("=" not in a for a in args):
        sys.exit(__doc__)
    if energy:
        print("| run | test accuracy | runs | sync bytes / sample | sync byte-hops / sample | sync energy µJ / sample | total energy µJ / sample | × baseline |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
    else:
        print("| strategy | test accuracy | runs (seeds) | Ξ² conv1 | Ξ² conv2 | SNR conv1 | SNR conv2 | sync messages | sync bytes / sample | sync byte-hops / sample |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for a in args:
        label, spec = a.rsplit("=", 1)
        print(row(label, spec, energy))


if __name__ == "__main__":
    main()
