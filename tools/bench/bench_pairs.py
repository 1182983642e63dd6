#!/usr/bin/env python3
"""Per-configuration ratios of two builds timed in alternating pairs (farm-bench --vs).

Each build's `nodemesh bench` runs append to a file of their own, in the order farm-bench ran them:
  farm-bench -n 5 --vs "sh -c 'exec dotnet OLD/nodemesh.dll bench ARGS >> old.txt 2>&1'" -- \
      sh -c 'exec dotnet NEW/nodemesh.dll bench ARGS >> new.txt 2>&1'
Then:
  tools/bench/bench_pairs.py new.txt old.txt
pairs the i-th run of one file with the i-th of the other (farm-bench alternates them, so a pair
shares the machine's state of the moment) and prints, per configuration (table row), both builds'
actor samples/s and the ratio new/old of each pair with its median, min and max.
"""
import re
import statistics
import sys


def runs(path):
    out, cur = [], None
    for line in open(path, encoding="utf-8"):
        if line.startswith("nodemesh bench:"):
            cur = {}
            out.append(cur)
        m = re.match(r"\| (\S[^|]*?) \| ([\d,]+) \|", line)
        if m and cur is not None:
            cur[m.group(1)] = int(m.group(2).replace(",", ""))
    return [r for r in out if r]


def main(new_path, old_path):
    new, old = runs(new_path), runs(old_path)
    n = min(len(new), len(old))
    if n == 0:
        sys.exit(f"no complete bench tables in {new_path} and {old_path}: did the runs finish?")
    print(f"{n} pairs (new: {new_path}, old: {old_path})")
    print("| configuration | new samples/s | old samples/s | new/old per pair | median (min–max) |")
    print("|---|---|---|---|---|")
    for key in new[0]:
        idx = [i for i in range(n) if key in new[i] and key in old[i]]
        if not idx:
            continue
        ratios = [new[i][key] / old[i][key] for i in idx]
        print(f"| {key} | {', '.join(str(new[i][key]) for i in idx)} | {', '.join(str(old[i][key]) for i in idx)} | "
              f"{', '.join(f'{r:.2f}' for r in ratios)} | {statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f}) |")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: bench_pairs.py NEW.txt OLD.txt")
    main(sys.argv[1], sys.argv[2])
