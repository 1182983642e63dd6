#!/usr/bin/env python3
"""Builds the table of docs/devices-results.md from device sweeps, one folder per device preset,
each made by `nodemesh sweep --out devices-<preset> --device <preset> --data full --epochs 1
--seeds ... --strategies none,allreduce-star,gossip-grid-every10`.

Usage: tools/tables/devices_results.py DIR [DIR ...] > table.md

Per device and setting: the runs (seeds), test accuracy (mean ± sample std over the seeds that did
not diverge), the consensus distance Xi^2 of conv1 and conv2 after the last epoch, device pulses
per weight (mean over devices, then over seeds) and on the most-pulsed device (largest over seeds),
and the clipped pulses of each kind over that kind's pulses (mean over seeds; '–' where there are
none of that kind). Every number is read from the runs' summary.json; nothing else is computed.
"""
import glob
import json
import os
import re
import statistics
import sys


def fmt_pct(values):
    if not values:
        return "–"
    m = statistics.mean(values)
    if len(values) == 1 or max(values) == min(values):
        return f"{100 * m:.2f} %"
    return f"{100 * m:.2f} ± {100 * statistics.stdev(values):.2f} %"


def g3(v):
    return "–" if v is None else f"{v:.3g}"


def frac(values):
    values = [v for v in values if v is not None]
    return "–" if not values else f"{100 * statistics.mean(values):.3f} %"


def main(dirs):
    if not dirs:
        sys.exit(__doc__)
    print("| device | setting | seeds | test accuracy | Ξ² conv1 | Ξ² conv2 | pulses / weight (mean) | pulses / device (max) "
          "| clipped update pulses / update pulses | clipped program pulses / program pulses |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for d in dirs:
        runs = {}
        for path in sorted(glob.glob(os.path.join(d, "*", "summary.json"))):
            s = json.load(open(path))
            if s.get("status") in ("interrupted", "failed"):
                continue  # unfinished: the sweep resumes or restarts it
            name = re.sub(r"-seed-?\d+$", "", os.path.basename(os.path.dirname(path)))
            runs.setdefault(name, []).append(s)
        order = lambda n: (0 if n == "none" else 1 if n.startswith("allreduce") else 2, n)
        for name, group in sorted(runs.items(), key=lambda kv: order(kv[0])):
            device = group[0]["config"].get("device", "ideal")
            done = [s for s in group if s.get("status") != "diverged" and s.get("epochs")]
            seeds = ",".join(str(s["config"]["seed"]) for s in group)
            diverged = len(group) - len(done)
            last = [s["epochs"][-1] for s in done]
            xi = lambda layer: statistics.mean(e["consensus"][layer]["xi2"] for e in last) if last and all(layer in e.get("consensus", {}) for e in last) else None
            dev = [e.get("devices", {}).get("all") for e in last]
            dev = [x for x in dev if x]
            cells = [
                device, name, seeds + (f" ({diverged} diverged)" if diverged else ""),
                fmt_pct([s["final_test_accuracy"] for s in done]),
                g3(xi("conv1")), g3(xi("conv2")),
                f"{statistics.mean(x['pulses_mean_per_device'] for x in dev):.1f}" if dev else "0",
                f"{max(x['pulses_max_per_device'] for x in dev):,}" if dev else "0",
                frac([x.get("clipped_update_fraction") for x in dev]),
                frac([x.get("clipped_program_fraction") for x in dev]),
            ]
            print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
