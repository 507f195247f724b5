#!/usr/bin/env bash
# Queues a sharded sweep on Slurm: an array job of N shards, then a merge job
# that starts when every shard has ended. Prints the two job ids.
#   submit.sh DST PATTERN SEEDS SHARDS RESULTS_DIR [extra sbatch options...]
# DST and RESULTS_DIR must be paths every node sees (a shared filesystem).
set -euo pipefail
if [ $# -lt 5 ]; then
  echo "usage: $0 DST PATTERN SEEDS SHARDS RESULTS_DIR [sbatch options...]" >&2
  exit 2
fi
dst=$(realpath "$1") pattern=$2 seeds=$3 shards=$4 results=$5
shift 5
here=$(cd "$(dirname "$0")" && pwd)
case "$shards" in
  '' | *[!0-9]* | 0) echo "submit: SHARDS must be a whole number >= 1, not '$shards'" >&2; exit 2 ;;
esac
[ -x "$dst" ] || { echo "submit: $dst is not an executable dst" >&2; exit 2; }
# An unknown pattern is refused here rather than in N failed tasks.
"$dst" list "$pattern" >/dev/null
mkdir -p "$results/logs"
results=$(realpath "$results")
export DST=$dst DST_PATTERN=$pattern DST_SEEDS=$seeds DST_SHARDS=$shards DST_RESULTS=$results
array=$(sbatch --parsable --array="1-$shards" --export=ALL \
  --output="$results/logs/shard-%a.out" "$@" "$here/sweep.sbatch")
array=${array%%;*}
merge=$(sbatch --parsable --dependency="afterany:$array" --kill-on-invalid-dep=yes \
  --export=ALL --output="$results/logs/merge.out" "$@" "$here/merge.sbatch")
merge=${merge%%;*}
echo "array job $array ($shards shards), merge job $merge; results in $results"
