#!/usr/bin/env python3
"""Where the CPU time of a NodeMesh process goes, from a dotnet-trace speedscope file.

Record (dotnet-trace from NuGet: dotnet tool install --tool-path DIR dotnet-trace):
  dotnet-trace collect --profile dotnet-sampled-thread-time --format speedscope -o none.nettrace -- \
      nodemesh bench --steps 60 --strategies none --engine off
Then:
  tools/profile/top_frames.py none.speedscope.json [N]

dotnet-trace's thread-time profile marks each sampled stack with a pseudo-frame, CPU_TIME (on a
CPU) or UNMANAGED_CODE_TIME / waiting. This script counts only the on-CPU time and prints the
methods that were on top of the stack (exclusive) and those anywhere on it (inclusive, NodeMesh
and Akka methods only), as shares of the on-CPU time.
"""
import collections
import json
import sys


def main(path, top):
    d = json.load(open(path))
    frames = d["shared"]["frames"]
    exclusive, inclusive, total = collections.Counter(), collections.Counter(), 0.0
    for p in d["profiles"]:
        stack, last = [], None
        for e in p["events"]:
            t = e["at"]
            if last is not None and len(stack) > 1 and frames[stack[-1]]["name"] == "CPU_TIME":
                dt = t - last
                total += dt
                exclusive[frames[stack[-2]]["name"]] += dt
                for f in set(stack[:-1]):
                    inclusive[frames[f]["name"]] += dt
            if e["type"] == "O":
                stack.append(e["frame"])
            elif stack:
                stack.pop()
            last = t
    print(f"on-CPU time: {total / 1000:.1f} s over {len(d['profiles'])} threads")
    print("\n| exclusive | method |\n|---:|---|")
    for name, w in exclusive.most_common(top):
        print(f"| {100 * w / total:.1f} % | `{name[:110]}` |")
    print("\n| inclusive | method |\n|---:|---|")
    shown = 0
    for name, w in inclusive.most_common():
        if "NodeMesh" in name or name.startswith("Akka!"):
            print(f"| {100 * w / total:.1f} % | `{name[:110]}` |")
            shown += 1
            if shown >= top:
                break


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 15)
