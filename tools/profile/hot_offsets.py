#!/usr/bin/env python3
"""Where inside one JIT-compiled method a perf profile's samples fall, by code offset.

perf names a managed method from the JIT's perf map but cannot annotate it (the code is gone when
the process ends). This script counts the samples whose instruction pointer lies in the method's
code and prints the hottest offsets; the JIT's own listing of the same method
(DOTNET_JitDisasm=NAME, DOTNET_JitStdOutFile=FILE, recorded in the same run) labels its blocks
with `;; offset=0x...`, so an offset points at the instructions.

Usage:
  DOTNET_PerfMapEnabled=3 DOTNET_EnableWriteXorExecute=0 DOTNET_JitDisasm=OnBackward \
  DOTNET_JitStdOutFile=/tmp/dis.txt perf record -F 1999 -o /tmp/p.data -- dotnet nodemesh.dll bench ...
  tools/profile/hot_offsets.py /tmp/p.data /tmp/perf-PID.map 'UnitActor::OnBackward' [N]
Takes the method's OptimizedTier1 code (the last one the map lists if there are several).
"""
import collections
import subprocess
import sys


def main(data, perf_map, name, n=30):
    code = None
    for line in open(perf_map, encoding="utf-8", errors="replace"):
        parts = line.rstrip("\n").split(" ", 2)
        if len(parts) == 3 and name in parts[2] and "[OptimizedTier1]" in parts[2]:
            code = (int(parts[0], 16), int(parts[1], 16), parts[2])
    if code is None:
        sys.exit(f"no OptimizedTier1 code of a method matching '{name}' in {perf_map}")
    start, size, full = code
    ips = subprocess.run(["perf", "script", "-i", data, "-F", "ip"], capture_output=True, text=True, check=True).stdout.split()
    hits = collections.Counter(int(ip, 16) - start for ip in ips if start <= int(ip, 16) < start + size)
    total = len(ips)
    inside = sum(hits.values())
    if total == 0:
        sys.exit(f"{data} holds no samples")
    print(f"{full}\n{size} bytes of code; {inside} of {total} samples ({100 * inside / total:.1f} %)")
    for off, count in hits.most_common(n):
        print(f"  offset 0x{off:04X}  {count:6d}  {100 * count / total:5.2f} %")


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 30)
