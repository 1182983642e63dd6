#!/usr/bin/env bash
# Measures the cluster table of docs/cluster.md: the reference net on the full Fashion-MNIST,
# a fixed number of training steps, every strategy on 1, 2 and 3 workers with every placement
# (one placement for 1 worker), plus local mode. One run at a time (each uses the whole machine).
# Usage: tools/cluster/measure.sh OUT_DIR [STEPS]   (needs `sudo apt-get install dataset-fashion-mnist`)
set -euo pipefail
out="${1:?usage: measure.sh OUT_DIR [STEPS]}"
steps="${2:-100}"
cd "$(dirname "$0")/../.."
dotnet build src/NodeMesh.Cli -c Release -v q -nologo >/dev/null
nodemesh=(dotnet src/NodeMesh.Cli/bin/Release/net10.0/nodemesh.dll)
common=(--data full --train-limit $((steps * 32)) --test-limit 1000 --batch 32 --quiet)
mkdir -p "$out"
declare -A strategy=(
  [none]="--strategy none"
  [allreduce-star]="--strategy allreduce --topology star"
  [allreduce-tree]="--strategy allreduce --topology tree"
  [allreduce-ring]="--strategy allreduce --topology ring"
  [gossip-grid]="--strategy gossip --topology grid"
)
run() { # name, then the command
  local name="$1"; shift
  if [ -f "$out/$name/summary.json" ]; then echo "skip $name (done)"; return; fi
  rm -rf "${out:?}/$name"
  echo "== $name"
  "$@" --out "$out/$name" > "$out/$name.log" 2>&1 || { echo "FAILED: $name (see $out/$name.log)"; return 0; }
  rm -f "$out/$name"/*.png "$out/$name/report.md"
}
for s in none allreduce-star allreduce-tree allreduce-ring gossip-grid; do
  # shellcheck disable=SC2086
  run "$s-local" "${nodemesh[@]}" train "${common[@]}" ${strategy[$s]}
  run "$s-w1-block" "${nodemesh[@]}" cluster --workers 1 train "${common[@]}" ${strategy[$s]} --placement block
  for w in 2 3; do
    for p in block stripe round-robin; do
      run "$s-w$w-$p" "${nodemesh[@]}" cluster --workers "$w" train "${common[@]}" ${strategy[$s]} --placement "$p"
    done
  done
done
python3 tools/cluster/table.py "$out" > "$out/table.md"
echo "table: $out/table.md"
