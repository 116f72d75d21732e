#!/usr/bin/env bash
# Keeps a training run going on a Spot / preemptible slice: recreates a preempted slice, sets
# it up and starts the same train command again, which resumes from the newest checkpoint.
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
  cat <<USAGE
Usage: $PROG --name NAME --zone ZONE --accelerator_type TYPE [launch/create.sh options]
         [launch/setup.sh options] [--max_restarts N] [--poll_interval SECONDS]
         [--simulate_state STATE [--simulate_trainer T]] [--dry_run]
         -- FLAME_JAX_TRAIN_FLAGS...

Polls the slice every --poll_interval seconds (the queued resource's state, then its TPU
VM's). When it is PREEMPTED, SUSPENDED, FAILED, TERMINATED or gone, deletes it, creates it again
(launch/create.sh), waits until it is READY, sets it up (launch/setup.sh) and starts the
same train command (launch/train.sh): flame-jax resumes from the newest complete checkpoint
in MODEL_DIR. While the slice is READY it reads every worker's trainer status: a trainer
that failed is stopped on every worker and started again, one not started yet is started,
and when every worker's trainer exited 0 the run is done and supervise exits 0. Each
recreation or restart counts against --max_restarts. Run it where it can stay up (a small
VM, under tmux or nohup); start the run first (create, setup, train) or let the first poll
start it.

  --name, --zone, --project       the slice, as for the other scripts
  --accelerator_type, --runtime_version, --spot, --queued, --qr_name
                                  how to recreate it (launch/create.sh --help)
  --repo, --ref, --data_dir, --copy_data, --python
                                  how to set it up (launch/setup.sh --help)
  --allow_local_model_dir         as for launch/train.sh
  --max_restarts N                give up (exit 1) after N restarts (default 10)
  --poll_interval SECONDS         between polls (default 300)
  --simulate_state STATE          with --dry_run: the state the poll reads (default READY),
                                  e.g. PREEMPTED prints one recovery's commands in order
  --simulate_trainer T            with --dry_run: RUNNING (default), DONE, CRASHED or NONE
  --dry_run                       print one poll's commands instead of running them
  -h, --help                      this help

Example:
  $PROG --name flame --zone us-east5-a --accelerator_type v5p-128 --queued --spot \\
    --data_dir gs://B/flame-data -- --gin_file=gin/models/gemma2_27b.gin \\
    --gin_file=gin/runs/flame.gin --gin.MODEL_DIR=\\"gs://B/flame\\" \\
    --gin.VOCABULARY=\\"gs://B/base/tokenizer.model\\" \\
    --gin.INITIAL_CHECKPOINT_PATH=\\"gs://B/base/checkpoints\\"
USAGE
}

MAX_RESTARTS=10 POLL_INTERVAL=300 SIMULATE_STATE='' SIMULATE_TRAINER=''
while (($#)); do
  case $1 in
    --)
      shift
      TRAIN_ARGS=("$@")
      break
      ;;
    --max_restarts | --max_restarts=*) take_value "$@" && MAX_RESTARTS=$VALUE ;;
    --poll_interval | --poll_interval=*) take_value "$@" && POLL_INTERVAL=$VALUE ;;
    --simulate_state | --simulate_state=*) take_value "$@" && SIMULATE_STATE=$VALUE ;;
    --simulate_trainer | --simulate_trainer=*) take_value "$@" && SIMULATE_TRAINER=$VALUE ;;
    *) opt_common "$@" || opt_create "$@" || opt_setup "$@" || opt_train "$@" || unknown_arg "$1" ;;
  esac
  shift "$NSHIFT"
done
validate_common
validate_create
validate_setup
validate_train
check_int --max_restarts "$MAX_RESTARTS" 0
check_int --poll_interval "$POLL_INTERVAL" 1
if [[ -n $SIMULATE_STATE || -n $SIMULATE_TRAINER ]] && ((!DRY_RUN)); then
  usage_error "--simulate_state and --simulate_trainer are for --dry_run"
fi
SIMULATE_STATE=${SIMULATE_STATE:-READY}
check --simulate_state "$SIMULATE_STATE" '^[A-Z][A-Z_]*$' 'a state (like READY or PREEMPTED)'
SIMULATE_TRAINER=${SIMULATE_TRAINER:-RUNNING}
check --simulate_trainer "$SIMULATE_TRAINER" '^(RUNNING|DONE|CRASHED|NONE)$' 'RUNNING, DONE, CRASHED or NONE'
require_gcloud

# STATE <- one resource's state as gcloud describes it, NOT_FOUND, or UNKNOWN (gcloud failed).
describe() {
  local kind=$1 resource=$2 field=$3 err out
  if ((DRY_RUN)); then
    run gcloud compute tpus "$kind" describe "$resource" "${GLOC[@]}" --format="value($field)"
    return 0
  fi
  err=$(mktemp)
  show gcloud compute tpus "$kind" describe "$resource" "${GLOC[@]}" --format="value($field)"
  if out=$(gcloud compute tpus "$kind" describe "$resource" "${GLOC[@]}" --format="value($field)" 2>"$err"); then
    STATE=${out//[[:space:]]/}
    STATE=${STATE:-UNKNOWN}
  elif grep -qiE 'NOT_FOUND|not found' "$err"; then
    STATE=NOT_FOUND
  else
    STATE=UNKNOWN
    note "gcloud describe failed: $(tail -n 1 "$err")"
  fi
  rm -f "$err"
}

# STATE <- the slice's: the queued resource's until it is ACTIVE, then its TPU VM's (READY,
# PREEMPTED, ...). A dry run prints the first describe command and reads the simulated state.
poll_state() {
  if ((QUEUED)); then
    describe queued-resources "$QR_NAME" state.state
    if ((DRY_RUN)); then
      STATE=${1:-$SIMULATE_STATE}
      return 0
    fi
    [[ $STATE == ACTIVE ]] || return 0
  fi
  describe tpu-vm "$TPU_NAME" state
  if ((DRY_RUN)); then
    STATE=${1:-$SIMULATE_STATE}
  fi
}

is_lost() {
  case $1 in
    PREEMPTED | TERMINATED | SUSPENDING | SUSPENDED | FAILED | NOT_FOUND) return 0 ;;
    *) return 1 ;;
  esac
}

# TRAINER <- CRASHED (a worker's exited non-zero, or only some workers' started), RUNNING,
# NONE (not started), DONE (every worker's exited 0) or UNKNOWN (ssh failed).
probe_trainer() {
  if ((DRY_RUN)); then
    tpu_ssh all "$REMOTE_PROBE"
    TRAINER=$SIMULATE_TRAINER
    return 0
  fi
  local out line running=0 done_ok=0 failed=0 none=0
  show gcloud compute tpus tpu-vm ssh "$TPU_NAME" "${GLOC[@]}" --worker=all --command "$REMOTE_PROBE"
  if ! out=$(gcloud compute tpus tpu-vm ssh "$TPU_NAME" "${GLOC[@]}" --worker=all --command "$REMOTE_PROBE"); then
    TRAINER=UNKNOWN
    return 0
  fi
  while IFS= read -r line; do
    if [[ $line =~ RUNNING[[:space:]]*$ ]]; then
      running=$((running + 1))
    elif [[ $line =~ EXITED\ 0[[:space:]]*$ ]]; then
      done_ok=$((done_ok + 1))
    elif [[ $line =~ EXITED\ [0-9]+[[:space:]]*$ ]]; then
      failed=$((failed + 1))
    elif [[ $line =~ NONE[[:space:]]*$ ]]; then
      none=$((none + 1))
    fi
  done <<<"$out"
  if ((failed || (running && none))); then
    TRAINER=CRASHED
  elif ((running)); then
    TRAINER=RUNNING
  elif ((none)); then
    TRAINER=NONE
  elif ((done_ok)); then
    TRAINER=DONE
  else
    TRAINER=UNKNOWN
  fi
}

RESTARTS=0
count_restart() {
  if ((RESTARTS >= MAX_RESTARTS)); then
    die "giving up: $1, after $RESTARTS restarts (--max_restarts $MAX_RESTARTS)"
  fi
  RESTARTS=$((RESTARTS + 1))
  note "restart $RESTARTS of at most $MAX_RESTARTS: $1"
}

# Sets the slice up when it is new, then starts the trainer; a failure is retried at the next
# poll (set -e does not apply in these functions' callers' conditions, so each step checks).
NEEDS_SETUP=0
start_run() {
  if ((NEEDS_SETUP)); then
    if ! tpu_setup; then
      note "setup failed: retrying at the next poll"
      return 0
    fi
    NEEDS_SETUP=0
  fi
  tpu_train || note "starting the trainer failed: retrying at the next poll"
}

# Waits until the new slice is READY; fails if it is lost again meanwhile.
wait_ready() {
  if ((DRY_RUN)); then
    note "every ${POLL_INTERVAL}s until the TPU VM is READY:"
    poll_state READY
    return 0
  fi
  while :; do
    poll_state
    note "state: $STATE"
    [[ $STATE == READY ]] && return 0
    is_lost "$STATE" && return 1
    sleep "$POLL_INTERVAL"
  done
}

recreate() {
  # A queued resource is deleted even when only its TPU VM is gone.
  if ((QUEUED)) || [[ $STATE != NOT_FOUND ]]; then
    tpu_delete || note "delete failed: creating anyway"
  fi
  if ! tpu_create; then
    note "create failed: retrying at the next poll"
    return 0
  fi
  NEEDS_SETUP=1
  wait_ready || return 0
  start_run
}

target=$TPU_NAME
((QUEUED)) && target+=" (queued resource $QR_NAME)"
note "supervising $target in $ZONE: at most $MAX_RESTARTS restarts, a poll every ${POLL_INTERVAL}s"
while :; do
  poll_state
  if ((DRY_RUN)); then
    note "state: $STATE (simulated)"
  else
    note "state: $STATE"
  fi
  if [[ $STATE == READY || $STATE == ACTIVE ]]; then
    if ((NEEDS_SETUP)); then
      start_run
    else
      probe_trainer
      note "trainer: $TRAINER"
      case $TRAINER in
        DONE)
          note "the run finished on every worker"
          exit 0
          ;;
        CRASHED)
          count_restart "a trainer failed: stop every worker's and start them again (they resume from the newest checkpoint)"
          tpu_stop || note "stopping the trainers failed"
          start_run
          ;;
        NONE) start_run ;;
        RUNNING) ;;
        *) note "could not read the trainers' status: retrying at the next poll" ;;
      esac
    fi
  elif is_lost "$STATE"; then
    count_restart "the slice is $STATE: recreate it, set it up and start the run again (it resumes from the newest checkpoint in MODEL_DIR)"
    recreate
  else
    note "waiting"
  fi
  ((DRY_RUN)) && exit 0
  sleep "$POLL_INTERVAL"
done
