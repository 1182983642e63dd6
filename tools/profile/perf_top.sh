#!/bin/sh
# Where the CPU time of a NodeMesh process goes, sampled by Linux perf (real on-CPU samples).
#
# dotnet-trace's thread-time profile (top_frames.py) counts a thread as "on CPU" while it is
# runnable, so when more threads are runnable than there are cores its shares overstate whatever
# the waiting threads sit in (PollGC, thread-pool dispatch). perf samples what the cores execute.
#
# Usage: tools/profile/perf_top.sh OUT_PREFIX [N] -- COMMAND...
#   e.g. tools/profile/perf_top.sh /tmp/star 30 -- dotnet src/NodeMesh.Cli/bin/Release/net10.0/nodemesh.dll \
#          bench --steps 150 --device idealized --strategies allreduce-star --engine off
# Writes OUT_PREFIX.perf.data and OUT_PREFIX.top.txt (the N methods with the most exclusive samples).
# Needs perf (Debian: linux-perf); the JIT's perf map (DOTNET_PerfMapEnabled=1) names managed
# frames, and DOTNET_EnableWriteXorExecute=0 keeps JIT code at the addresses the map names.
set -eu
if [ $# -lt 3 ]; then echo "usage: $0 OUT_PREFIX [N] -- COMMAND..." >&2; exit 2; fi
out=$1; shift
n=30
if [ "$1" != "--" ]; then n=$1; shift; fi
[ "$1" = "--" ] || { echo "$0: expected -- before the command" >&2; exit 2; }
shift
command -v perf >/dev/null || { echo "$0: perf not found (apt-get install linux-perf)" >&2; exit 2; }
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 perf record -q -F 999 -g -o "$out.perf.data" -- "$@"
perf report -i "$out.perf.data" --no-children --sort symbol --stdio -g none 2>/dev/null \
  | grep '%' | grep -v '^#' | head -n "$n" \
  | sed -E 's/ +- +- *$//; s/\[(OptimizedTier1|Optimized|QuickJitted|InstrumentedTier|Tier0|Tier1)\]/ (\1)/; s/valuetype |class |instance //g; s/\[System\.Runtime\]//g' \
  | awk '{ if (length($0) > 170) print substr($0, 1, 170) "…"; else print }' > "$out.top.txt"
cat "$out.top.txt"
