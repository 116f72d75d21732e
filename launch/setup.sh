#!/usr/bin/env bash
# Installs the project on every worker of a TPU VM: code, venv, jax[tpu], data dir.
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
  cat <<USAGE
Usage: $PROG --name NAME --zone ZONE [--repo URL] [--ref REF]
         [--data_dir gs://BUCKET/DIR [--copy_data]] [--python python3.11] [--project P] [--dry_run]

On every worker (gcloud compute tpus tpu-vm ssh --worker=all), replaces ~/flame-jax with the
code at REF, makes ~/flame-jax/.venv with '$PYTHON' (apt installs it when the image lacks it;
jax 0.10 needs Python 3.11 or newer), installs the project (pip install -e) and
$JAX_TPU_SPEC, and writes ~/flame-jax.env, which launch/train.sh sources.
Refuses while a trainer started by launch/train.sh runs there.

  --name NAME        the TPU VM
  --zone ZONE        its zone
  --repo URL         clone this git URL on every worker; without it, 'git archive' of this
                     checkout at REF is copied to every worker (committed files only)
  --ref REF          branch, tag or commit (default HEAD)
  --data_dir gs://…  the data dir (one folder per source): FLAME_DATA_DIR for the run
  --copy_data        copy the data dir to ~/flame-data on every worker (gcloud storage rsync)
                     and point FLAME_DATA_DIR there, instead of reading GCS directly
  --python EXE       the Python for the venv (default $DEFAULT_PYTHON)
  --project P        the Google Cloud project (default: gcloud's configured one)
  --dry_run          print the commands instead of running them (also DRY_RUN=1)
  -h, --help         this help

Example:
  $PROG --name flame --zone us-east5-a --ref main --data_dir gs://my-bucket/flame-data
USAGE
}

while (($#)); do
  opt_common "$@" || opt_setup "$@" || unknown_arg "$1"
  shift "$NSHIFT"
done
validate_common
validate_setup
require_gcloud
tpu_setup
