#!/bin/bash
# Submits N shards of SCENARIO as a job array and the merge as a job that waits for all of them.
#   ./submit.sh scenario.json 8
set -euo pipefail
SCENARIO=${1:?usage: submit.sh SCENARIO.json N}
N=${2:?usage: submit.sh SCENARIO.json N}
mkdir -p logs
ARRAY=$(sbatch --parsable --array=0-$((N - 1)) "$(dirname "$0")/shards.sbatch" "$SCENARIO")
MERGE=$(sbatch --parsable --dependency=afterok:"$ARRAY" "$(dirname "$0")/merge.sbatch" "$N")
echo "shards: job $ARRAY (array 0-$((N - 1))), merge: job $MERGE (after all succeed)"
