#!/usr/bin/env python3
"""How the share of tying grows with network size: reads the project.json of several
`nodemesh project --out DIR` runs (same strategies) and prints one row per net and strategy:
tying bytes per sample, tying's share of byte-hops and of energy under unicast and multicast, and
the multicast step time against no sharing and the multicast time per epoch of the projection's
--samples (ImageNet-1k by default). Used for docs/projection.md.

Usage: tools/tables/tying_growth.py NAME=DIR/project.json [NAME=DIR/project.json ...]
"""
import json
import sys


def si(v, unit):
    for p, d in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(v) >= d:
            return f"{v / d:.3g} {p}{unit}"
    return f"{v:.3g} {unit}"


def ns(v):
    if v >= 1e9:
        return f"{v / 1e9:.3g} s"
    if v >= 1e6:
        return f"{v / 1e6:.3g} ms"
    return f"{v / 1e3:.3g} µs"


def hours(seconds):
    if seconds >= 3600:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds:,.0f} s" if seconds >= 100 else f"{seconds:.3g} s"


def main(args):
    if not args or any("=" not in a for a in args):
        sys.exit(__doc__)
    print("| net | units | strategy | tying bytes / sample | tying share of byte-hops, unicast / multicast | tying share of energy, unicast / multicast | multicast step | step / no sharing | multicast epoch |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for a in args:
        name, path = a.split("=", 1)
        d = json.load(open(path))
        by = {(p["cast"], p["strategy"]): p for p in d["projections"]}
        none = by[("multicast", "none")]["step_time"]["step_ns"]
        for strategy in dict.fromkeys(p["strategy"] for p in d["projections"]):
            u, m = by[("unicast", strategy)], by[("multicast", strategy)]
            step = m["step_time"]["step_ns"]
            print(f"| {name} | {d['units']:,} | {strategy} | {si(u['sync_per_sample']['bytes'], 'B')} | "
                  f"{100 * u['sync_share_of_byte_hops']:.2f} % / {100 * m['sync_share_of_byte_hops']:.2f} % | "
                  f"{100 * u['sync_share_of_energy']:.2f} % / {100 * m['sync_share_of_energy']:.2f} % | "
                  f"{ns(step)} | {step / none:.2f}× | {hours(m['step_time']['epoch_seconds'])} |")


if __name__ == "__main__":
    main(sys.argv[1:])
