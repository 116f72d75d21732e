#!/usr/bin/env bash
# Issue 17's GPU check, a few minutes of one GPU: train tokens/s and MFU against the chip's
# bfloat16 peak, and the judge's score-mode pairs/s, on the Gemma 2 2B shape in bf16, cuDNN
# attention against blockwise (benchmarks/gpu_bench.py prints the table).
#
#   bash benchmarks/gpu_bench.sh            # makes $VENV with the CUDA build of the project's
#                                           # pinned jax (WHEELHOUSE=dir: offline wheels)
#   bash benchmarks/gpu_bench.sh --dry_run  # this machine's python, a tiny shape, on the CPU
#
# cuDNN's fused attention has no logit soft cap, so both rows run Gemma 2 2B without the
# attention soft cap (same shapes and FLOPs; the blockwise row alone could keep it).
set -euo pipefail
cd "$(dirname "$0")/.."

jax_version=$(grep -oE '"jax==[0-9.]+' setup.py | cut -d= -f3)
if [[ ${1:-} == "--dry_run" ]]; then
  python=${PYTHON:-.venv/bin/python}
  exec "$python" benchmarks/gpu_bench.py --config tiny --attention_impls blockwise reference \
    --batch_size 2 --sequence_length 128 --steps 1 --judge_rows 8 --judge_length 128 \
    --judge_targets 8 --judge_calls 1 --peak_tflops 1
fi
if [[ $# -gt 0 ]]; then
  echo "usage: bash benchmarks/gpu_bench.sh [--dry_run]" >&2
  exit 2
fi

venv=${VENV:-/tmp/flame-jax-gpu-venv}
if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv"
fi
pip_args=(--quiet)
if [[ -n ${WHEELHOUSE:-} ]]; then
  pip_args+=(--no-index --find-links "$WHEELHOUSE")
fi
"$venv/bin/pip" install "${pip_args[@]}" "jax[cuda12]==$jax_version" -e .
"$venv/bin/python" -c 'import jax; assert jax.default_backend() == "gpu", jax.devices()'

"$venv/bin/python" benchmarks/gpu_bench.py --config gemma2_2b \
  --attention_impls cudnn blockwise --set attn_logit_softcap=None \
  --batch_size 4 --sequence_length 2048 --steps 5 \
  --judge_rows 32 --judge_length 1024 --judge_targets 16 --judge_calls 5
