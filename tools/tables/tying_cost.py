#!/usr/bin/env python3
"""Builds the strategy table of docs/tying-cost.md from two NodeMesh sweeps' compare.csv.

  LONG  a sweep with --seeds 1,2,3 --epochs 3 on the full data (accuracy after epochs 1 and 3,
        mean ± sample std over the seeds; sync traffic and unicast energy per training sample)
  CAST  the same strategies for a short run with --fabric-cast multicast (energy per training
        sample under multicast; per-sample traffic does not depend on the data)

Usage: tools/tables/tying_cost.py LONG_DIR CAST_DIR > table.md
Every number printed is read from the sweeps' compare.csv; nothing is computed but the formatting
and the ratio of two counted energies. A diverged run (compare.csv's group_diverged) is counted in n
and left out of the means, as compare leaves it.
"""
import csv
import sys


def groups(path):
    """First row of every seed group of a compare.csv, in file order, keyed by group (setting) name."""
    seen = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            name = row["group"] or row["run"]
            if name not in seen:
                seen[name] = row
    return seen


def num(row, key):
    v = row.get(key, "")
    return float(v) if v not in ("", None) else None


def pct(mean, std, n):
    if mean is None:
        return "–"
    return f"{100 * mean:.2f} ± {100 * std:.2f} %" if n > 1 and std is not None else f"{100 * mean:.2f} %"


def si_bytes(v, unit="B"):
    if v is None:
        return "–"
    if v == 0:
        return f"0 {unit}"
    for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= scale:
            return f"{v / scale:.3g} {prefix}{unit}"
    return f"{v:.0f} {unit}"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: tools/tables/tying_cost.py LONG_SWEEP_DIR MULTICAST_SWEEP_DIR")
    long_runs = groups(f"{sys.argv[1]}/compare.csv")
    cast_runs = groups(f"{sys.argv[2]}/compare.csv")
    print("| strategy | n | test accuracy after 1 epoch | after 3 epochs | sync bytes / sample | sync byte-hops / sample "
          "| energy µJ / sample, unicast | × baseline | energy µJ / sample, multicast | × baseline |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in long_runs.items():
        n = int(float(r.get("n") or 1))
        diverged = int(float(r.get("group_diverged") or 0))  # counted in n, in no mean (compare.csv)
        e1 = pct(num(r, "test_accuracy_epoch1_mean"), num(r, "test_accuracy_epoch1_std"), n - diverged)
        e3 = pct(num(r, "test_accuracy_mean"), num(r, "test_accuracy_std"), n - diverged)
        if diverged == n:
            e1 = e3 = "diverged"
        energy = num(r, "energy_pj_per_sample_mean")
        base = num(r, "baseline_energy_pj_per_sample")
        c = cast_runs.get(name)
        menergy = num(c, "energy_pj_per_sample") if c else None
        mbase = num(c, "baseline_energy_pj_per_sample") if c else None
        cells = [
            name, f"{n} ({diverged} diverged)" if diverged else str(n), e1, e3,
            si_bytes(num(r, "sync_bytes_per_sample_mean")),
            si_bytes(num(r, "sync_byte_hops_per_sample_mean"), "B-hops"),
            f"{energy / 1e6:.1f}" if energy is not None else "–",
            f"{energy / base:.2f}" if energy and base else "–",
            f"{menergy / 1e6:.2f}" if menergy is not None else "–",
            f"{menergy / mbase:.3f}" if menergy and mbase else "–",
        ]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
