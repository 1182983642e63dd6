#!/usr/bin/env bash
# Measured against projected cross-member traffic (docs/projection.md): the reference net on the
# embedded data, STEPS training steps of batch 32, on 1-3 local workers with block placement, and
# `nodemesh project --members` of the same net, batch and steps. Prints one Markdown row per run and
# category: messages and payload bytes measured and projected, wire bytes measured and estimated.
# Usage: tools/cluster/calibrate-projection.sh OUT_DIR [STEPS]
set -euo pipefail
out="${1:?usage: calibrate-projection.sh OUT_DIR [STEPS]}"
steps="${2:-20}"
cd "$(dirname "$0")/../.."
dotnet build src/NodeMesh.Cli -c Release -v q -nologo >/dev/null
nodemesh=(dotnet src/NodeMesh.Cli/bin/Release/net10.0/nodemesh.dll)
samples=$((steps * 32))
mkdir -p "$out"
runs=( # name workers project-strategy train-options
  "none-w1 1 none --strategy none"
  "none-w2 2 none --strategy none"
  "star-w2 2 allreduce-star --strategy allreduce --topology star"
  "tree-w3 3 allreduce-tree --strategy allreduce --topology tree"
  "ring-w3 3 allreduce-ring --strategy allreduce --topology ring"
)
for r in "${runs[@]}"; do
  read -r name workers projected train <<<"$r"
  rm -rf "${out:?}/$name" "$out/$name-projected"
  echo "== $name" >&2
  # shellcheck disable=SC2086
  "${nodemesh[@]}" cluster --workers "$workers" train --train-limit "$samples" --test-limit 100 --batch 32 --quiet --placement block $train \
    --out "$out/$name" > "$out/$name.log" 2>&1
  "${nodemesh[@]}" project --members "$workers" --placement block --strategies "$projected" --batch 32 --samples "$samples" \
    --fabric-cast unicast --out "$out/$name-projected" > /dev/null
done
python3 - "$out" "$samples" "${runs[@]}" <<'EOF'
import json, sys
out, samples, runs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
print("| run | workers | category | messages measured | projected | payload bytes measured | projected | wire bytes measured | estimated | envelope bytes/msg |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
for r in runs:
    name, workers = r.split()[:2]
    e = json.load(open(f"{out}/{name}/summary.json"))["cluster"]["epochs"][0]["categories"]
    p = json.load(open(f"{out}/{name}-projected/project.json"))["cluster"]
    env = p["envelope_bytes_per_message"]
    ps = p["projections"][0]["per_sample"]
    for c in ["activation", "error", "sync", "control"]:
        m = e[c]
        pm, pb = round(ps[c]["messages"] * samples), round(ps[c]["payload_bytes"] * samples)
        per = (m["wire_bytes"] - m["payload_bytes"]) / m["messages"] if m["messages"] else 0
        print(f"| {name} | {workers} | {c} | {m['messages']:,} | {pm:,} | {m['payload_bytes']:,} | {pb:,} | {m['wire_bytes']:,} | {round(pb + env * pm):,} | {per:.1f} |")
EOF
