#!/usr/bin/env bash
# Shows the end of a worker's training log (~/flame-train.log), or follows it.
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
  cat <<USAGE
Usage: $PROG --name NAME --zone ZONE [--worker N|all] [--lines N] [--follow]
         [--project P] [--dry_run]

Prints the last lines of the log launch/train.sh writes on a worker (~/flame-train.log).
Worker 0 is process 0, the one that logs metrics; --worker all prints every worker's.

  --name NAME     the TPU VM
  --zone ZONE     its zone
  --worker N      the worker number, or all (default 0)
  --lines N       how many lines (default 100)
  --follow        keep printing what is appended (tail -F; Ctrl-C stops)
  --project P     the Google Cloud project (default: gcloud's configured one)
  --dry_run       print the gcloud command instead of running it (also DRY_RUN=1)
  -h, --help      this help

Example:
  $PROG --name flame --zone us-east5-a --follow
USAGE
}

WORKER=0 LINES=100 FOLLOW=0
while (($#)); do
  case $1 in
    --worker | --worker=*) take_value "$@" && WORKER=$VALUE ;;
    --lines | --lines=*) take_value "$@" && LINES=$VALUE ;;
    --follow) FOLLOW=1 NSHIFT=1 ;;
    *) opt_common "$@" || unknown_arg "$1" ;;
  esac
  shift "$NSHIFT"
done
validate_common
check --worker "$WORKER" '^([0-9]+|all)$' 'a worker number or all'
check_int --lines "$LINES" 1
require_gcloud
if ((FOLLOW)); then
  tpu_ssh "$WORKER" "tail -n $LINES -F ~/flame-train.log"
else
  tpu_ssh "$WORKER" "tail -n $LINES ~/flame-train.log"
fi
