#!/usr/bin/env python3
"""README's one-epoch table (strategies and initialisations), mean ± std over seeds, from run folders.

    python3 tools/tables/one_epoch.py \\
        '`allreduce` star, F = 1=docs/results/devices-sweep/ideal/allreduce-star-every1-seed*' \\
        '`none` (locally connected)=docs/results/devices-sweep/ideal/none-seed*' \\
        '`none --unit-init conv2d`=docs/results/init-sweep/conv2d/none-seed*' \\
        '`none --unit-init he-normal`=docs/results/init-sweep/he-normal/none-seed*'

Each argument is LABEL=GLOB: the run folders (each with summary.json) of one row, which must
differ only by seed. A row gives the last epoch's test accuracy and train loss as mean ± sample
standard deviation (n − 1) over its runs, and the traffic counts and Ξ² of conv1 and conv2 as
their mean (the counts are the same in every run; Ξ² differs a little by seed).
"""

import statistics
import sys

from completed_runs import completed_runs


def mean_std(values, scale=1.0, digits=2):
    m = statistics.mean(values) * scale
    if len(values) < 2:
        return f"{m:.{digits}f}"
    return f"{m:.{digits}f} ± {statistics.stdev(values) * scale:.{digits}f}"


def xi2(value):
    return "0" if value == 0 else (f"{value:.2f}" if value >= 0.01 else f"{value:.1e}".replace("e-0", "e-"))


def row(label, pattern):
    runs = [summary for _, summary in completed_runs(pattern)]
    seeds = sorted(r["config"]["seed"] for r in runs)
    last = [r["epochs"][-1] for r in runs]
    traffic = last[0]["traffic"]
    for r, e in zip(runs, last):
        if e["traffic"]["sync"]["messages"] != traffic["sync"]["messages"]:
            sys.exit(f"error: the runs of {label!r} differ in sync messages: not the same setting")
    acc = mean_std([e["test_accuracy"] for e in last], 100)
    loss = mean_std([e["train_loss"] for e in last], 1, 4)
    x1 = statistics.mean(e["consensus"]["conv1"]["xi2"] for e in last)
    x2 = statistics.mean(e["consensus"]["conv2"]["xi2"] for e in last)
    return (f"| {label} | {acc} % | {loss} | {len(runs)} ({', '.join(map(str, seeds))}) | {traffic['sync']['messages']:,} | "
            f"{traffic['sync']['bytes_per_sample']:,} | {traffic['activation']['bytes_per_sample']:,} | "
            f"{traffic['error']['bytes_per_sample']:,} | {xi2(x1)} | {xi2(x2)} |")


def main():
    if len(sys.argv) < 2 or any("=" not in a for a in sys.argv[1:]):
        sys.exit(__doc__)
    print("| strategy | test accuracy | train loss | runs (seeds) | sync messages | sync bytes / sample | "
          "activation bytes / sample | error bytes / sample | Ξ² conv1 | Ξ² conv2 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for a in sys.argv[1:]:
        label, pattern = a.rsplit("=", 1)
        print(row(label, pattern))


if __name__ == "__main__":
    main()
