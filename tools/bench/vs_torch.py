#!/usr/bin/python3
"""NodeMesh's training throughput against PyTorch's, measured in alternation in one run.

Run by hand (needs Debian's python3-torch for torch_lc.py; build NodeMesh first with
`dotnet build -c Release`):

    /usr/bin/python3 tools/bench/vs_torch.py --rounds 3 --steps 40

Each round runs, one after the other and each in a process of its own:

  * `nodemesh bench --strategies none --steps N --data full` (unit actors, and the actor-free
    engine on 1 and 2 threads: the bench's own CSV columns);
  * `torch_lc.py --net lc` (locally connected, unfold + einsum) and `torch_lc.py --net conv2d`,
    each on --threads (default 1 and 2).

Every figure is training samples per second over a timed epoch of N steps after a warm-up of N,
batch 32. Ratios are taken within a round (so a machine whose speed drifts affects both sides of
one ratio alike) and the table gives each figure's median over the rounds and each ratio's
median, min and max. --csv FILE writes every round's figures.
"""

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_NODEMESH = os.path.join(ROOT, "src", "NodeMesh.Cli", "bin", "Release", "net10.0", "nodemesh")


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} exited {p.returncode}:\n{p.stderr.strip() or p.stdout.strip()}")
    return p.stdout


def nodemesh_round(exe, steps, data):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "bench.csv")
        run([exe, "bench", "--strategies", "none", "--steps", str(steps), "--data", data, "--out", out])
        with open(out, newline="") as f:
            row = next(csv.DictReader(f))
    return {
        "nodemesh actors": float(row["actor_samples_per_second"]),
        "nodemesh engine, 1 thread": float(row["engine_sequential_samples_per_second"]),
        "nodemesh engine, 2 threads": float(row["engine_parallel_samples_per_second"]),
    }


def torch_round(net, threads, steps, data):
    here = os.path.dirname(os.path.abspath(__file__))
    line = run([sys.executable, os.path.join(here, "torch_lc.py"), "--net", net, "--threads", str(threads),
                "--steps", str(steps), "--data", data]).strip().splitlines()[-1]
    return float(json.loads(line)["samples_per_second"])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds [3]")
    p.add_argument("--steps", type=int, default=40, help="timed steps of each measurement [40]")
    p.add_argument("--threads", default="1,2", help="torch thread counts, comma-separated [1,2]")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist", help="Fashion-MNIST IDX folder (nodemesh gets 'full' for the default)")
    p.add_argument("--nodemesh", default=DEFAULT_NODEMESH, help="the nodemesh executable [the Release build]")
    p.add_argument("--csv", help="also write every round's figures here")
    a = p.parse_args()
    if a.rounds < 1 or a.steps < 1:
        sys.exit("error: --rounds and --steps must be at least 1")
    if not os.path.exists(a.nodemesh):
        sys.exit(f"error: {a.nodemesh} does not exist; build it with 'dotnet build -c Release' or give --nodemesh PATH")
    try:
        threads = [int(t) for t in a.threads.split(",")]
    except ValueError:
        sys.exit(f"error: --threads {a.threads}: give comma-separated thread counts, e.g. 1,2")
    data = "full" if a.data == "/usr/share/datasets/fashion-mnist" else a.data

    rounds = []
    for r in range(a.rounds):
        figures = nodemesh_round(a.nodemesh, a.steps, data)
        for t in threads:
            figures[f"PyTorch locally connected, {t} thread(s)"] = torch_round("lc", t, a.steps, a.data)
            figures[f"PyTorch Conv2d, {t} thread(s)"] = torch_round("conv2d", t, a.steps, a.data)
        rounds.append(figures)
        print(f"round {r + 1}/{a.rounds}: " + ", ".join(f"{k} {v:,.0f}" for k, v in figures.items()), file=sys.stderr)

    names = list(rounds[0])
    actors = "nodemesh actors"
    print(f"samples/s, median of {a.rounds} round(s) of {a.steps} timed steps; ratio = time of NodeMesh's actors / time of the other, per round")
    print()
    print("| measured | samples/s | actor time / its time (median, min–max) |")
    print("|---|---:|---:|")
    for n in names:
        values = [f[n] for f in rounds]
        ratios = [f[n] / f[actors] for f in rounds]
        spread = "–" if n == actors else f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})"
        print(f"| {n} | {statistics.median(values):,.0f} | {spread} |")
    if a.csv:
        with open(a.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["round"] + names)
            for i, fgs in enumerate(rounds):
                w.writerow([i + 1] + [fgs[n] for n in names])


if __name__ == "__main__":
    main()
