#!/usr/bin/env bash
# Creates a Cloud TPU VM, or a queued resource that creates it once capacity is free.
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
  cat <<USAGE
Usage: $PROG --name NAME --zone ZONE --accelerator_type TYPE [--runtime_version V]
         [--spot] [--queued [--qr_name QR]] [--project P] [--dry_run]

Creates a Cloud TPU VM (gcloud compute tpus tpu-vm create), or with --queued a queued
resource whose TPU VM is NAME (gcloud compute tpus queued-resources create). A queued
request waits for capacity: launch/supervise.sh or 'gcloud compute tpus queued-resources
describe' tells when it is ACTIVE.

  --name NAME              the TPU VM (lowercase letters, digits, hyphens)
  --zone ZONE              one that offers TYPE, e.g. us-east5-a for v5p
  --accelerator_type TYPE  v4-N, v5p-N, v5litepod-N or v6e-N (v2-N, v3-N too); v4 and v5p
                           count TensorCores (v5p-128 is 64 chips on 16 hosts), v5e and v6e
                           count chips
  --runtime_version V      the TPU software version; by default the JAX one per family:
                           v6e: v2-alpha-tpuv6e, v5p: v2-alpha-tpuv5,
                           v5litepod: v2-alpha-tpuv5-lite, v4 and older: tpu-ubuntu2204-base
  --spot                   a Spot slice: cheaper, can be preempted (launch/supervise.sh
                           recreates it and resumes the run)
  --queued                 create a queued resource instead of the TPU VM directly
  --qr_name QR             the queued resource's name (default NAME-qr)
  --project P              the Google Cloud project (default: gcloud's configured one)
  --dry_run                print the gcloud command instead of running it (also DRY_RUN=1)
  -h, --help               this help

Example:
  $PROG --name flame --zone us-east5-a --accelerator_type v5p-128 --queued --spot
USAGE
}

while (($#)); do
  opt_common "$@" || opt_create "$@" || unknown_arg "$1"
  shift "$NSHIFT"
done
validate_common
validate_create
require_gcloud
tpu_create
