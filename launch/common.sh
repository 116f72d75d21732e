# shellcheck shell=bash disable=SC2034  # (variables set here are read by the sourcing scripts)
# Sourced by the launch/ scripts, never run. Argument parsing and validation, the gcloud commands
# for Cloud TPU VMs, and the shell snippets every worker runs.
#
# Every command goes through `run` (or `show`), which prints it shell-quoted the way Python's
# shlex.quote does, so the printed line is exactly the command: with --dry_run (or DRY_RUN=1) it
# is printed to stdout and not run, so a dry run's whole output is a runnable shell script
# (messages are `# ` comments); otherwise it is echoed to stderr as `+ command` and run.
# Bad arguments exit 2 with a message naming the argument; failures exit 1.

LAUNCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(dirname "$LAUNCH_DIR")
PROG=launch/$(basename "$0")

# The versions verified together (setup.py, ../shared/reference/STACK.md): jax 0.10.2 with its TPU
# extra (libtpu comes from PyPI), on the Python of the TPU VM image or one apt installs.
JAX_TPU_SPEC='jax[tpu]==0.10.2'
DEFAULT_PYTHON=python3.11

# Paths on every worker (home directory): the checkout with its .venv, the environment file
# setup.sh writes (FLAME_DATA_DIR), and the trainer's log, pid and exit-status files.
# ~/flame-jax             the repository, with .venv/
# ~/flame-jax.env         sourced before training
# ~/flame-train.log       appended to by every start (a resumed run continues the same log)
# ~/flame-train.pid       the detached trainer
# ~/flame-train.exit      its exit status, once it has ended

if [[ ${DRY_RUN:-0} == 0 ]]; then DRY_RUN=0; else DRY_RUN=1; fi
TPU_NAME='' ZONE='' PROJECT='' QR_NAME='' QUEUED=0
ACCELERATOR_TYPE='' RUNTIME_VERSION='' SPOT=0
REPO_URL='' REF=HEAD DATA_DIR='' COPY_DATA=0 PYTHON=$DEFAULT_PYTHON
ALLOW_LOCAL_MODEL_DIR=0
TRAIN_ARGS=()
GLOC=()

# -- messages -----------------------------------------------------------------------------------

usage_error() {
  printf '%s: error: %s\n' "$PROG" "$1" >&2
  printf "Run '%s --help' for usage.\n" "$PROG" >&2
  exit 2
}

die() {
  printf '%s: error: %s\n' "$PROG" "$1" >&2
  exit 1
}

# A message: a `# ` comment on stdout in a dry run, a timestamped line on stderr otherwise.
note() {
  if ((DRY_RUN)); then
    printf '# %s\n' "$1"
  else
    printf '[%s] %s\n' "$(date -u +%FT%TZ)" "$1" >&2
  fi
}

# -- quoting and running ------------------------------------------------------------------------

# One word shell-quoted exactly as Python's shlex.quote does (the tests rely on that).
q() {
  local LC_ALL=C
  if [[ -z $1 ]]; then
    printf "''"
  elif [[ $1 =~ ^[A-Za-z0-9_@%+=:,./-]+$ ]]; then
    printf '%s' "$1"
  else
    printf "'%s'" "${1//\'/\'\"\'\"\'}"
  fi
}

# Words shell-quoted and joined by spaces (Python's shlex.join).
join_q() {
  local out='' word
  for word in "$@"; do
    out+="${out:+ }$(q "$word")"
  done
  printf '%s' "$out"
}

run() {
  if ((DRY_RUN)); then
    printf '%s\n' "$(join_q "$@")"
    return 0
  fi
  show "$@"
  "$@"
}

# `+ command` on stderr, as run shows a command it runs.
show() {
  printf '+ %s\n' "$(join_q "$@")" >&2
}

require_gcloud() {
  ((DRY_RUN)) && return 0
  command -v gcloud >/dev/null 2>&1 ||
    die "gcloud is not installed (https://cloud.google.com/sdk/docs/install); --dry_run prints the commands without it"
}

# -- argument parsing ---------------------------------------------------------------------------
# Each opt_* function consumes one option (`--flag VALUE`, `--flag=VALUE` or a switch) from "$@",
# sets NSHIFT and returns 0, or returns 1 when the option is not its own:
#   while (($#)); do opt_common "$@" || opt_create "$@" || unknown_arg "$1"; shift "$NSHIFT"; done

take_value() {
  case $1 in
    --*=*) VALUE=${1#*=} NSHIFT=1 ;;
    *)
      if (($# < 2)) || [[ $2 == --* ]]; then
        usage_error "${1} needs a value"
      fi
      VALUE=$2 NSHIFT=2
      ;;
  esac
}

unknown_arg() {
  usage_error "unknown argument: $(q "$1") (flags are spelled with underscores, e.g. --dry_run)"
}

opt_common() {
  NSHIFT=1
  case $1 in
    -h | --help) usage && exit 0 ;;
    --dry_run) DRY_RUN=1 ;;
    --name | --name=*) take_value "$@" && TPU_NAME=$VALUE ;;
    --zone | --zone=*) take_value "$@" && ZONE=$VALUE ;;
    --project | --project=*) take_value "$@" && PROJECT=$VALUE ;;
    *) return 1 ;;
  esac
}

opt_queued() {
  NSHIFT=1
  case $1 in
    --queued) QUEUED=1 ;;
    --qr_name | --qr_name=*) take_value "$@" && QR_NAME=$VALUE ;;
    *) return 1 ;;
  esac
}

opt_create() {
  NSHIFT=1
  case $1 in
    --accelerator_type | --accelerator_type=*) take_value "$@" && ACCELERATOR_TYPE=$VALUE ;;
    --runtime_version | --runtime_version=*) take_value "$@" && RUNTIME_VERSION=$VALUE ;;
    --spot) SPOT=1 ;;
    *) opt_queued "$@" ;;
  esac
}

opt_setup() {
  NSHIFT=1
  case $1 in
    --repo | --repo=*) take_value "$@" && REPO_URL=$VALUE ;;
    --ref | --ref=*) take_value "$@" && REF=$VALUE ;;
    --data_dir | --data_dir=*) take_value "$@" && DATA_DIR=$VALUE ;;
    --copy_data) COPY_DATA=1 ;;
    --python | --python=*) take_value "$@" && PYTHON=$VALUE ;;
    *) return 1 ;;
  esac
}

opt_train() {
  NSHIFT=1
  case $1 in
    --allow_local_model_dir) ALLOW_LOCAL_MODEL_DIR=1 ;;
    *) return 1 ;;
  esac
}

# -- validation ---------------------------------------------------------------------------------

require() {
  [[ -n $2 ]] || usage_error "$1 is required"
}

check() {
  local flag=$1 value=$2 pattern=$3 what=$4
  [[ $value =~ $pattern ]] || usage_error "$flag: $(q "$value") is not $what"
}

check_int() {
  local flag=$1 value=$2 min=$3
  if ! [[ $value =~ ^[0-9]+$ ]] || ((10#$value < min)); then
    usage_error "$flag: $(q "$value") is not an integer >= $min"
  fi
}

validate_common() {
  require --name "$TPU_NAME"
  check --name "$TPU_NAME" '^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$' \
    'a valid TPU name (lowercase letters, digits and hyphens, starting with a letter, at most 63)'
  require --zone "$ZONE"
  check --zone "$ZONE" '^[a-z]+-[a-z]+[0-9]+-[a-z]$' 'a zone (like us-east5-a or europe-west4-b)'
  if [[ -n $PROJECT ]]; then
    check --project "$PROJECT" '^([a-z0-9.-]+:)?[a-z][-a-z0-9]{4,28}[a-z0-9]$' 'a project id'
  fi
  GLOC=(--zone="$ZONE")
  [[ -z $PROJECT ]] || GLOC+=(--project="$PROJECT")
}

validate_queued() {
  if [[ -n $QR_NAME ]] && ((!QUEUED)); then
    usage_error "--qr_name is only for --queued"
  fi
  QR_NAME=${QR_NAME:-$TPU_NAME-qr}
  check --qr_name "$QR_NAME" '^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$' \
    'a valid queued resource name (lowercase letters, digits and hyphens, at most 63)'
}

# The TPU software version for JAX per accelerator family (cloud.google.com/tpu/docs/runtimes).
default_runtime() {
  case $1 in
    v6e-*) printf v2-alpha-tpuv6e ;;
    v5p-*) printf v2-alpha-tpuv5 ;;
    v5litepod-*) printf v2-alpha-tpuv5-lite ;;
    *) printf tpu-ubuntu2204-base ;; # v4 and older
  esac
}

validate_create() {
  require --accelerator_type "$ACCELERATOR_TYPE"
  check --accelerator_type "$ACCELERATOR_TYPE" '^(v2|v3|v4|v5p|v5litepod|v6e)-[1-9][0-9]*$' \
    'an accelerator type (like v4-8, v5litepod-16, v5p-128 or v6e-8)'
  RUNTIME_VERSION=${RUNTIME_VERSION:-$(default_runtime "$ACCELERATOR_TYPE")}
  check --runtime_version "$RUNTIME_VERSION" '^[a-z0-9][-a-z0-9.]*$' 'a TPU software version'
  validate_queued
}

validate_setup() {
  if [[ -n $REPO_URL ]]; then
    check --repo "$REPO_URL" '^[^-[:space:]][^[:space:]]*$' 'a git URL'
  fi
  check --ref "$REF" '^[A-Za-z0-9_][-A-Za-z0-9_./]*$' 'a git ref (branch, tag or commit)'
  if [[ -n $DATA_DIR ]]; then
    check --data_dir "$DATA_DIR" '^gs://[A-Za-z0-9][-_.A-Za-z0-9]*(/[^[:space:]]*)?$' \
      'a gs:// path (the data dir must be on GCS for every worker to read)'
  elif ((COPY_DATA)); then
    usage_error "--copy_data needs --data_dir gs://..."
  fi
  check --python "$PYTHON" '^python3(\.[0-9]+)?$' 'a python executable name (like python3.11)'
}

# MODEL_DIR as the flame-jax train flags bind it (--gin.MODEL_DIR=V or --gin_bindings
# 'MODEL_DIR = V'), without gin's quotes; empty when they do not.
model_dir_of() {
  local arg prev='' value=''
  for arg in "$@"; do
    case $arg in
      --gin.MODEL_DIR=*) value=${arg#*=} ;;
      --gin_bindings=MODEL_DIR=* | "--gin_bindings=MODEL_DIR "*) value=${arg#*MODEL_DIR} ;;
      MODEL_DIR=* | "MODEL_DIR "*) [[ $prev == --gin_bindings ]] && value=${arg#MODEL_DIR} ;;
    esac
    prev=$arg
  done
  value=${value#"${value%%[![:space:]=]*}"} # leading blanks and the binding's =
  value=${value%"${value##*[![:space:]]}"}  # trailing blanks
  value=${value#[\"\']} value=${value%[\"\']}
  printf '%s' "$value"
}

validate_train() {
  ((${#TRAIN_ARGS[@]})) ||
    usage_error "the flame-jax train flags are required after -- (e.g. -- --gin_file=gin/runs/flame.gin ...)"
  case ${TRAIN_ARGS[0]} in
    train | flame-jax) usage_error "pass only the flags of flame-jax train after -- (not $(q "${TRAIN_ARGS[0]}"))" ;;
  esac
  local model_dir
  model_dir=$(model_dir_of "${TRAIN_ARGS[@]}")
  [[ -n $model_dir ]] ||
    usage_error "MODEL_DIR: pass --gin.MODEL_DIR=\\\"gs://BUCKET/DIR\\\" with the train flags (every worker writes there)"
  if [[ $model_dir != gs://?* ]] && ((!ALLOW_LOCAL_MODEL_DIR)); then
    usage_error "MODEL_DIR: $(q "$model_dir") is not on GCS: the workers of a multi-host slice must share it and a preempted VM loses its disk (--allow_local_model_dir for a single-host slice)"
  fi
}

# -- TPU VM and queued resource commands --------------------------------------------------------

tpu_create() {
  local tier=()
  ((SPOT)) && tier=(--spot)
  if ((QUEUED)); then
    run gcloud compute tpus queued-resources create "$QR_NAME" --node-id="$TPU_NAME" "${GLOC[@]}" \
      --accelerator-type="$ACCELERATOR_TYPE" --runtime-version="$RUNTIME_VERSION" "${tier[@]}"
  else
    run gcloud compute tpus tpu-vm create "$TPU_NAME" "${GLOC[@]}" \
      --accelerator-type="$ACCELERATOR_TYPE" --version="$RUNTIME_VERSION" "${tier[@]}"
  fi
}

tpu_delete() {
  if ((QUEUED)); then # --force deletes the queued resource's TPU VM first
    run gcloud compute tpus queued-resources delete "$QR_NAME" "${GLOC[@]}" --force --quiet
  else
    run gcloud compute tpus tpu-vm delete "$TPU_NAME" "${GLOC[@]}" --quiet
  fi
}

# tpu_ssh WORKER COMMAND: runs COMMAND (a shell command line) on one worker or on all.
tpu_ssh() {
  run gcloud compute tpus tpu-vm ssh "$TPU_NAME" "${GLOC[@]}" --worker="$1" --command "$2"
}

# -- what runs on the workers -------------------------------------------------------------------
# Single-quoted on purpose (SC2016): these expand on the workers, not here.

# Refuses to go on while a trainer started by train.sh still runs on this worker.
# shellcheck disable=SC2016
REMOTE_GUARD='if [ -f ~/flame-train.pid ] && kill -0 "$(cat ~/flame-train.pid)" 2>/dev/null; then echo "flame-jax train is running on $(hostname): launch/delete.sh --stop_only stops it" >&2; exit 1; fi'

# One line per worker: RUNNING, EXITED <status> or NONE (never started).
# shellcheck disable=SC2016
REMOTE_PROBE='if [ -f ~/flame-train.exit ]; then echo "EXITED $(cat ~/flame-train.exit)"; elif [ -f ~/flame-train.pid ] && kill -0 "$(cat ~/flame-train.pid)" 2>/dev/null; then echo RUNNING; else echo NONE; fi'

# SIGTERM to the trainer (and its wrapper), up to 60 s to exit, then SIGKILL.
# shellcheck disable=SC2016
REMOTE_STOP='if [ -f ~/flame-train.pid ]; then pid=$(cat ~/flame-train.pid); pids="$(pgrep -P "$pid" | tr "\n" " ")$pid"; kill -TERM $pids 2>/dev/null; for p in $pids; do for _ in $(seq 60); do kill -0 "$p" 2>/dev/null || break; sleep 1; done; done; kill -KILL $pids 2>/dev/null; rm -f ~/flame-train.pid; fi; true'

remote_setup_command() {
  local cmd="$REMOTE_GUARD; rm -rf ~/flame-jax && "
  if [[ -n $REPO_URL ]]; then
    cmd+="git clone --quiet $(q "$REPO_URL") ~/flame-jax && git -C ~/flame-jax checkout --quiet $(q "$REF")"
  else
    cmd+='mkdir -p ~/flame-jax && tar -xzf ~/flame-jax-src.tar.gz -C ~/flame-jax && rm -f ~/flame-jax-src.tar.gz'
  fi
  cmd+=" && { command -v $PYTHON >/dev/null || { sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PYTHON $PYTHON-venv; }; }"
  cmd+=" && $PYTHON -m venv ~/flame-jax/.venv && ~/flame-jax/.venv/bin/pip install --quiet --upgrade pip"
  cmd+=" && ~/flame-jax/.venv/bin/pip install --quiet -e ~/flame-jax $(q "$JAX_TPU_SPEC")"
  if [[ -z $DATA_DIR ]]; then
    cmd+=' && : > ~/flame-jax.env'
  elif ((COPY_DATA)); then
    cmd+=" && mkdir -p ~/flame-data && gcloud storage rsync --recursive $(q "$DATA_DIR") ~/flame-data"
    # shellcheck disable=SC2016
    cmd+=" && echo $(q 'export FLAME_DATA_DIR="$HOME/flame-data"') > ~/flame-jax.env"
  else
    cmd+=" && echo $(q "export FLAME_DATA_DIR=$(q "$DATA_DIR")") > ~/flame-jax.env"
  fi
  printf '%s' "$cmd"
}

# Detached under nohup, so the run outlives the ssh session; its exit status goes to a file.
remote_train_command() {
  # shellcheck disable=SC2016
  local script='cd ~/flame-jax && . .venv/bin/activate && . ~/flame-jax.env && flame-jax train "$@"; echo $? > ~/flame-train.exit'
  printf '%s' "$REMOTE_GUARD; rm -f ~/flame-train.exit; echo \"[launch] \$(date -u +%FT%TZ) start\" >> ~/flame-train.log; nohup bash -c $(q "$script") flame-jax-train $(join_q "${TRAIN_ARGS[@]}") >> ~/flame-train.log 2>&1 < /dev/null & echo \$! > ~/flame-train.pid"
}

# setup.sh's steps: the code (a clone on the workers, or an archive of this checkout at --ref
# copied to them), the venv with the project and jax[tpu], the data dir.
tpu_setup() {
  if [[ -z $REPO_URL ]]; then
    local tarball=${TMPDIR:-/tmp}/flame-jax-src-$TPU_NAME.tar.gz
    if ((!DRY_RUN)); then
      command -v git >/dev/null 2>&1 || die "git is not installed: it archives this checkout (or pass --repo URL)"
    fi
    run git -C "$REPO_ROOT" archive --format=tar.gz --output="$tarball" "$REF" || return
    run gcloud compute tpus tpu-vm scp "$tarball" "$TPU_NAME:flame-jax-src.tar.gz" "${GLOC[@]}" --worker=all || return
  fi
  tpu_ssh all "$(remote_setup_command)"
}

tpu_train() {
  tpu_ssh all "$(remote_train_command)"
}

tpu_stop() {
  tpu_ssh all "$REMOTE_STOP"
}
