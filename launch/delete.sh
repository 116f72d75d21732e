#!/usr/bin/env bash
# Stops the training run on every worker, or deletes the TPU VM (or queued resource).
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
  cat <<USAGE
Usage: $PROG --name NAME --zone ZONE [--queued [--qr_name QR]] [--stop_only]
         [--project P] [--dry_run]

Deletes the TPU VM without asking (gcloud ... delete --quiet); with --queued deletes the
queued resource and its TPU VM (--force). With --stop_only it only stops flame-jax train on
every worker (SIGTERM, then SIGKILL after 60 s) and keeps the slice: a later launch/train.sh
resumes from the newest checkpoint. Stop launch/supervise.sh first, or it restarts the run.

  --name NAME       the TPU VM
  --zone ZONE       its zone
  --queued          it was created with launch/create.sh --queued
  --qr_name QR      the queued resource's name (default NAME-qr)
  --stop_only       stop the trainer on every worker, delete nothing
  --project P       the Google Cloud project (default: gcloud's configured one)
  --dry_run         print the gcloud commands instead of running them (also DRY_RUN=1)
  -h, --help        this help

Example:
  $PROG --name flame --zone us-east5-a --queued
USAGE
}

STOP_ONLY=0
while (($#)); do
  if [[ $1 == --stop_only ]]; then
    STOP_ONLY=1 NSHIFT=1
  else
    opt_common "$@" || opt_queued "$@" || unknown_arg "$1"
  fi
  shift "$NSHIFT"
done
validate_common
validate_queued
require_gcloud
if ((STOP_ONLY)); then
  tpu_stop
else
  tpu_delete
fi
