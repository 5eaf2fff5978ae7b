#!/usr/bin/env bash
# Submits a scale-out indexing run (docs/scale-out.md): the array job vidx-index.sbatch with
# SHARDS tasks, at most THROTTLE at once, and vidx-merge.sbatch after it
# (--dependency=afterok). Prints the two job ids, array job first.
#
#   VIDX_LIBRARY="/srv/video" VIDX_SHARDS_DIR=/scratch/vidx/$(date +%F) \
#   VIDX_STATE_DIR=/srv/vidx/state VIDX_CONFIG=/srv/vidx/vidx.yaml \
#     deploy/slurm/submit.sh [--shards N] [--throttle T] [--gpu] [-- SBATCH_ARGS...]
#
# With VIDX_KNOWN unset it defaults to VIDX_STATE_DIR, so a nightly run embeds only what the
# merged index lacks. Extra sbatch arguments (after --) go to both jobs, e.g. --partition.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shards=8
throttle=4
gres=()
while (($# > 0)); do
  case $1 in
    --shards) shards=$2; shift 2 ;;
    --throttle) throttle=$2; shift 2 ;;
    --gpu) gres=(--gres=gpu:1); shift ;;
    --) shift; break ;;
    *) echo "submit.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
: "${VIDX_LIBRARY:?set VIDX_LIBRARY to the library roots}"
: "${VIDX_SHARDS_DIR:?set VIDX_SHARDS_DIR to a fresh shards directory}"
: "${VIDX_STATE_DIR:?set VIDX_STATE_DIR to the target state directory}"
export VIDX_LIBRARY VIDX_SHARDS_DIR VIDX_STATE_DIR
export VIDX_SHARD_COUNT=$shards
export VIDX_KNOWN=${VIDX_KNOWN-$VIDX_STATE_DIR}
mkdir -p "$VIDX_SHARDS_DIR"
logs=${VIDX_LOG_DIR:-$VIDX_SHARDS_DIR}
index_job=$(sbatch --parsable --export=ALL --array="0-$((shards - 1))%$throttle" "${gres[@]}" \
  --output="$logs/index-%A_%a.out" "$@" "$here/vidx-index.sbatch")
index_job=${index_job%%;*}
merge_job=$(sbatch --parsable --export=ALL --dependency="afterok:$index_job" \
  --output="$logs/merge-%j.out" "$@" "$here/vidx-merge.sbatch")
echo "$index_job ${merge_job%%;*}"
