#!/usr/bin/env bash
# Refactors keep numbers: run the main job and the first 150 steps of every study (first seed of each seed group), then
# compare two such runs file by file — every CSV and summary.json, with wall-clock columns left out.
#
#   tools/same-numbers.sh run OUT        # trains into OUT/ with this checkout's seqlab (builds it first)
#   tools/same-numbers.sh compare A B    # exit 0 when every number agrees, else lists the files that differ
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  run)
    out=$(realpath -m "$2"); mkdir -p "$out"
    dotnet build src/Experiments -c Release -v q -nologo >/dev/null
    seqlab=(dotnet src/Experiments/bin/Release/net10.0/seqlab.dll)
    "${seqlab[@]}" run experiments.yaml -o "$out" --overwrite
    for study in studies/*.yaml; do
      # Seed groups: the first seed only (where names carry a seed, they end in -seed1).
      only='*'; "${seqlab[@]}" validate "$study" | grep -q -- '-seed1:' && only='*-seed1'
      "${seqlab[@]}" run "$study" -o "$out" --overwrite --set training.steps=150 --only "$only" --jobs 2 >"$out/$(basename "$study" .yaml).log" 2>&1 || true
    done ;;
  compare)
    python3 - "$2" "$3" <<'PY'
import csv, json, os, sys
a, b = sys.argv[1], sys.argv[2]
timing = {"elapsed_seconds", "seconds", "wall_seconds", "time_seconds", "started", "finished", "host", "phase_seconds"}
def rows(path):
    if path.endswith(".json"):
        def strip(o):
            if isinstance(o, dict): return {k: strip(v) for k, v in o.items() if k not in timing}
            if isinstance(o, list): return [strip(v) for v in o]
            return o
        return strip(json.load(open(path)))
    with open(path, newline="") as f:
        table = list(csv.reader(f))
    if not table: return table
    keep = [i for i, h in enumerate(table[0]) if h not in timing]
    return [[r[i] for i in keep if i < len(r)] for r in table]
files = []
for root, _, names in os.walk(a):
    for n in names:
        if (n.endswith(".csv") and n != "time_split.csv") or n == "summary.json":
            files.append(os.path.relpath(os.path.join(root, n), a))
bad = 0
for rel in sorted(files):
    other = os.path.join(b, rel)
    if not os.path.exists(other): print(f"missing in {b}: {rel}"); bad += 1; continue
    if rows(os.path.join(a, rel)) != rows(other): print(f"differs: {rel}"); bad += 1
print(f"{len(files)} files compared, {bad} differ")
sys.exit(1 if bad else 0)
PY
    ;;
  *) echo "usage: $0 run OUT | compare A B" >&2; exit 2 ;;
esac
