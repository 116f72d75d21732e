#!/usr/bin/env bash
# Starts the same `flame-jax train` command on every worker, detached, one log per worker.
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
  cat <<USAGE
Usage: $PROG --name NAME --zone ZONE [--allow_local_model_dir] [--project P] [--dry_run]
         -- FLAME_JAX_TRAIN_FLAGS...

Runs 'flame-jax train FLAGS' on every worker at once (gcloud compute tpus tpu-vm ssh
--worker=all) in ~/flame-jax with its venv and ~/flame-jax.env (launch/setup.sh), under nohup:
it outlives the ssh session. Each worker appends to its own ~/flame-train.log
(launch/logs.sh) and writes ~/flame-train.pid, then ~/flame-train.exit when the run ends.
The flags after -- reach flame-jax train unchanged (quote them for your local shell as in the
README). The trainer resumes from the newest complete checkpoint in MODEL_DIR, so running
the same command again (after a preemption, a crash or --stop_only) continues the run.

MODEL_DIR must be bound on the command line (--gin.MODEL_DIR=\"gs://...\") and be on GCS:
the workers of a multi-host slice write one checkpoint together, and a preempted or deleted
VM loses its disk.

  --name NAME                the TPU VM
  --zone ZONE                its zone
  --allow_local_model_dir    accept a MODEL_DIR on the VM's disk (single-host slices only)
  --project P                the Google Cloud project (default: gcloud's configured one)
  --dry_run                  print the gcloud command instead of running it (also DRY_RUN=1)
  -h, --help                 this help

Example (the FLAMe run, gin/runs/flame.gin):
  $PROG --name flame --zone us-east5-a -- \\
    --gin_file=gin/models/gemma2_27b.gin --gin_file=gin/runs/flame.gin \\
    --gin.MODEL_DIR=\\"gs://B/flame\\" --gin.VOCABULARY=\\"gs://B/base/tokenizer.model\\" \\
    --gin.INITIAL_CHECKPOINT_PATH=\\"gs://B/base/checkpoints\\"
USAGE
}

while (($#)); do
  if [[ $1 == -- ]]; then
    shift
    TRAIN_ARGS=("$@")
    break
  fi
  opt_common "$@" || opt_train "$@" || unknown_arg "$1"
  shift "$NSHIFT"
done
validate_common
validate_train
require_gcloud
tpu_train
