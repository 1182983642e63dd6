#!/usr/bin/env python3
"""Joins the CSVs of one or more `nodemesh bench --scale --out FILE` runs into the scale table of
docs/performance.md: one row per net, then the least-squares exponents (on logs) with which time
per step and peak RSS grow with the unit count, per strategy.

Usage: tools/tables/scale_fit.py scale-a.csv [scale-b.csv ...]
"""
import csv
import math
import sys


def fit(xs, ys):
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    sxx = sum((a - mx) ** 2 for a in lx)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sxx if sxx > 0 else float("nan")


def size(n):
    for unit, div in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= div:
            return f"{n / div:.3g} {unit}"
    return f"{n:.0f} B"


def main(paths):
    if not paths:
        sys.exit(__doc__)
    rows = []
    for p in paths:
        with open(p, newline="") as f:
            rows += list(csv.DictReader(f))
    rows.sort(key=lambda r: (r["strategy"], int(r["unit_actors"])))
    print("| input | strategy | unit actors | tiles | build s | bytes / unit actor (excl. weights) | RSS built | peak RSS | s / step |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['input']} | {r['strategy']} | {int(r['unit_actors']):,} | {r['tiles']} | {float(r['build_seconds']):.1f} | "
              f"{float(r['bytes_per_unit_actor']):,.0f} | {size(int(r['rss_built_bytes']))} | {size(int(r['peak_rss_bytes']))} | {float(r['seconds_per_step']):.3g} |")
    print()
    for s in sorted({r["strategy"] for r in rows}):
        rs = [r for r in rows if r["strategy"] == s]
        if len(rs) < 2:
            continue
        units = [int(r["unit_actors"]) for r in rs]
        t = fit(units, [float(r["seconds_per_step"]) for r in rs])
        m = fit(units, [int(r["peak_rss_bytes"]) for r in rs])
        print(f"- {s}: over {max(units) / min(units):.0f}x in unit actors ({min(units):,} to {max(units):,}), "
              f"time per step grows as units^{t:.2f}, peak RSS as units^{m:.2f}.")


if __name__ == "__main__":
    main(sys.argv[1:])
