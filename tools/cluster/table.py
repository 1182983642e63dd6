#!/usr/bin/env python3
"""Makes the cluster table of docs/cluster.md from the run directories of tools/cluster/measure.sh.

Usage: table.py DIR   (prints Markdown). Every number is read from the runs' summary.json."""
import json
import os
import sys

root = sys.argv[1]
order = ["none", "allreduce-star", "allreduce-tree", "allreduce-ring", "gossip-grid"]
rows = []
for name in sorted(os.listdir(root)):
    path = os.path.join(root, name, "summary.json")
    if not os.path.isfile(path):
        continue
    s = json.load(open(path))
    strategy, _, where = name.rpartition("-local") if name.endswith("-local") else (None, None, None)
    if name.endswith("-local"):
        strategy, workers, placement = name[: -len("-local")], 0, "-"
    else:
        base, w, placement = name.rsplit("-w", 1)[0], name.rsplit("-w", 1)[1].split("-", 1)[0], name.rsplit("-w", 1)[1].split("-", 1)[1]
        strategy, workers = base, int(w)
    e = s["epochs"][0]
    row = {
        "strategy": strategy, "workers": workers, "placement": placement,
        "sps": e["samples_per_second"], "acc": s["final_test_accuracy"],
        "sync_logical": e["traffic"]["sync"]["bytes_per_sample"],
    }
    c = s.get("cluster")
    if c:
        ce = c["epochs"][0]
        cats = ce["categories"]
        n = ce["samples"]
        row["msgs"] = sum(cats[k]["messages"] for k in cats) / n
        for k in ("activation", "error", "sync", "control"):
            row[k] = cats[k]["wire_bytes_per_sample"]
            row[k + "_p"] = cats[k]["payload_bytes_per_sample"]
        row["house"] = ce["housekeeping"]["wire_bytes_per_sample"]
        row["wire"] = ce["wire_bytes"] / n
        row["payload"] = ce["payload_bytes"] / n
        row["overhead"] = ce["overhead_ratio"]
    rows.append(row)

rows.sort(key=lambda r: (order.index(r["strategy"]) if r["strategy"] in order else 99, r["workers"], r["placement"]))

def kb(x):
    """Decimal kilobytes (1 kB = 1000 B), the project's convention for measured byte figures."""
    return f"{x / 1000:,.1f}"

print("| strategy | workers | placement | samples/s | cross-member msgs / sample | payload kB / sample | wire kB / sample | activation | error | sync | control | housekeeping | wire / payload |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    if r["workers"] == 0:
        print(f"| {r['strategy']} | local | - | {r['sps']:.0f} | - | - | - | - | - | - | - | - | - |")
        continue
    print(f"| {r['strategy']} | {r['workers']} | {r['placement']} | {r['sps']:.0f} | {r['msgs']:.2f} | {kb(r['payload'])} | {kb(r['wire'])} | "
          f"{kb(r['activation'])} | {kb(r['error'])} | {kb(r['sync'])} | {kb(r['control'])} | {kb(r['house'])} | {r['overhead']:.3f} |")
