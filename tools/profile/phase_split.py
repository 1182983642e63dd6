#!/usr/bin/env python3
"""A perf profile's samples split into the build and the training, and by leaf method.

A `bench` or `train` process first builds its net (with a device preset: every device drawn and
programmed to its initial weight, pulse by pulse) and then trains. A flat profile mixes the two:
the normals that program-and-verify draws at build time land in the same method as the normals
of training pulses. This script reads the call stacks of `perf record -g` and puts each sample in
the build when any frame of its stack matches a build marker, in training otherwise; then it
counts each phase's samples by the leaf frame's method (the first pattern that matches).

Usage:
  tools/profile/perf_top.sh /tmp/run 30 -- dotnet nodemesh.dll bench --device idealized ...
  tools/profile/phase_split.py /tmp/run.perf.data [LEAF_PATTERN ...]
Default leaf patterns: the device update's methods. Build markers: ProgramAndVerify,
DeviceArray::.ctor, DeviceParameterDraw (override with --build A,B,...).
"""
import argparse
import collections
import subprocess
import sys

DEFAULT_LEAVES = ["PulseTrainUpdater::Update(", "PulseTrainUpdater::PrepareSample", "PulseTrainUpdater::UpdateDeviceVector",
                  "PulseTrainUpdater::WriteGradient", "DeviceRng::FillNormals", "DeviceCells::Burst", "ProgramAndVerify::ProgramDevice"]
DEFAULT_BUILD = ["ProgramAndVerify", "DeviceArray::.ctor", "DeviceParameterDraw"]


def split(script_text, leaves, build):
    counts = collections.Counter()
    total = 0
    for sample in script_text.split("\n\n"):
        lines = [l.strip() for l in sample.strip().split("\n") if l.strip()]
        if len(lines) < 2:
            continue  # a header without frames
        total += 1
        frames = lines[1:]
        phase = "build" if any(m in f for f in frames for m in build) else "training"
        leaf = next((p for p in leaves if p in frames[0]), "other")
        counts[(phase, leaf)] += 1
    return total, counts


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", help="perf.data recorded with call stacks (perf record -g)")
    parser.add_argument("leaves", nargs="*", default=DEFAULT_LEAVES, help="leaf method patterns, first match wins (default: the device update's methods)")
    parser.add_argument("--build", default=",".join(DEFAULT_BUILD), help="comma-separated frame patterns that mark a build sample")
    args = parser.parse_args(argv)
    data, leaves, build = args.data, args.leaves, [b for b in args.build.split(",") if b]
    text = subprocess.run(["perf", "script", "-i", data], capture_output=True, text=True, check=True).stdout
    total, counts = split(text, leaves, build)
    if total == 0:
        sys.exit(f"{data}: no samples with call stacks (record with perf record -g)")
    phases = collections.Counter()
    for (phase, _), n in counts.items():
        phases[phase] += n
    print(f"{total} samples: build {phases['build']} ({100 * phases['build'] / total:.1f} %), "
          f"training {phases['training']} ({100 * phases['training'] / total:.1f} %)")
    for phase in ("training", "build"):
        if phases[phase] == 0:
            continue
        print(f"\n{phase}: share of the {phase} samples, by leaf method")
        for (p, leaf), n in sorted(counts.items(), key=lambda kv: -kv[1]):
            if p == phase:
                print(f"  {100 * n / phases[phase]:6.2f} %  {n:7d}  {leaf}")


if __name__ == "__main__":
    main(sys.argv[1:])
