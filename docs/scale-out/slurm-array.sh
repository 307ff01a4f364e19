#!/usr/bin/env bash
# One SeqLab shard per array task: sbatch --array=0-7 docs/scale-out/slurm-array.sh studies/remedies.yaml
# SEQLAB (the published seqlab program) and SEQLAB_RUNS (the shared results root) default to /shared/seqlab/seqlab and
# /shared/runs; sbatch passes them on from the submitting shell (e.g. SEQLAB=... sbatch ...).
#SBATCH --job-name=seqlab
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=01:00:00
#SBATCH --output=seqlab-%A_%a.log
set -euo pipefail
study="${1:?usage: sbatch --array=0-N slurm-array.sh STUDY.yaml}"
seqlab="${SEQLAB:-/shared/seqlab/seqlab}"
runs="${SEQLAB_RUNS:-/shared/runs}"
# SeqLab reads SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_MIN / SLURM_ARRAY_TASK_COUNT itself.
"$seqlab" run "$study" --output "$runs" --set "training.threads=${SLURM_CPUS_PER_TASK:-2}"
# After the last task: "$seqlab" report "$runs/<batch>"
