"""Judging registered evaluation tasks: the paper's sampling and the per-item scores.

FLAMe evaluates on "256 random examples per task (RewardBench in full)" (FLAME.md §4).
`sample_records` draws that sample reproducibly: all records of the task's split in file order,
then `max_per_task` of them chosen by random.Random(f"{seed}:{task}") and kept in file order, so
the same seed gives the same items on every machine and adding a task changes no other task's
sample.

seqio parity: the evaluation tasks are seqio tasks whose metric functions score generated
EVALUATIONs of the records as rendered (one order). `seqio_metrics` runs exactly those functions
(the task's postprocess_fn and predict_metric_fns) on a generate-mode judge's outputs of the
original order, so `flame-jax eval --mode generate` reports the numbers seqio.Evaluator (and a
trainer's periodic eval) gives for the same outputs, next to the both-order scores.

Records longer than the judge's max_length (Autorater.sequence_length: inputs + the longest
option, or + max_new_tokens when generating) are never truncated: with on_too_long="skip" they
are left out of the judged items and returned as rows (task, item = the record's position in
the task's sample, tokens, max_length, the record's meta) that the benchmark lists in
scores.json and report.md, with a note per task; with "error" (the library default) the judge
raises for the first one, naming its task and item.

Per-item scores shared by the benchmarks:
- pairwise: 1 when the judge's order-averaged preference favours the gold response, 0 when it
  favours the other, 0.5 for an exact tie (RewardBench's rule for ties and unparseable answers);
- classification and pointwise: 1 when the verdict equals the gold answer, else 0 (an
  unparseable generation is wrong).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

import seqio

from flame_jax.data import registry
from flame_jax.format import Record, TaskType
from flame_jax.judge import Autorater, Judgment

ON_TOO_LONG = ("skip", "error")


def sample_records(
    task_name: str,
    split: str,
    *,
    max_per_task: int | None,
    seed: int = 0,
    data_dir: str | None = None,
) -> tuple[list[Record], Counter]:
    """The task's records (a seeded sample of max_per_task, in file order) and its skips."""
    task = registry.get_task(task_name)
    skipped: Counter = Counter()
    records = list(task.records(split, data_dir, skipped))
    if max_per_task is not None and len(records) > max_per_task:
        chosen = random.Random(f"{seed}:{task_name}").sample(range(len(records)), max_per_task)
        records = [records[i] for i in sorted(chosen)]
    return records, skipped


def item_score(judgment: Judgment) -> float:
    """1, 0 or 0.5 for a pairwise tie (see the module docstring); 1/0 otherwise."""
    record = judgment.record
    if record.task_type == TaskType.PAIRWISE:
        if judgment.pair is None:
            raise ValueError("a pairwise judgment without its both-order verdict")
        p_gold = judgment.pair.p_a_better if record.answer == "A" else 1 - judgment.pair.p_a_better
        return 1.0 if p_gold > 0.5 else 0.0 if p_gold < 0.5 else 0.5
    if not record.options:
        raise ValueError("open-ended records have no gold verdict to score")
    return float(judgment.answer == record.answer)


def split_too_long(
    judge: Autorater, task: str, records: Sequence[Record]
) -> tuple[list[int], list[dict]]:
    """The indices of the records that fit the judge's max_length, and one row per record
    that does not (see the module docstring)."""
    kept, skipped = [], []
    for index, record in enumerate(records):
        tokens = judge.sequence_length(record)
        if tokens <= judge.max_length:
            kept.append(index)
            continue
        skipped.append(
            {
                **dict(record.meta),
                "task": task,
                "item": index,
                "tokens": tokens,
                "max_length": judge.max_length,
            }
        )
    return kept, skipped


def judge_tasks(
    judge: Autorater,
    task_names: Sequence[str],
    split: str,
    *,
    max_per_task: int | None,
    seed: int = 0,
    data_dir: str | None = None,
    on_too_long: str = "error",
) -> tuple[dict[str, list[Judgment]], list[str], list[dict]]:
    """Judgments per task (one call per task), notes on skipped rows, and the rows of the
    records skipped as longer than the judge's max_length (split_too_long; none unless
    on_too_long is "skip")."""
    if on_too_long not in ON_TOO_LONG:
        raise ValueError(f"on_too_long {on_too_long!r} is not one of {ON_TOO_LONG}")
    out, notes, too_long = {}, [], []
    for name in task_names:
        records, skipped = sample_records(
            name, split, max_per_task=max_per_task, seed=seed, data_dir=data_dir
        )
        if skipped:
            notes.append(f"{name}: skipped {dict(skipped)} (documented in the task)")
        kept, long_rows = list(range(len(records))), []
        if on_too_long == "skip":
            kept, long_rows = split_too_long(judge, name, records)
        if long_rows:
            notes.append(
                f"{name}: {len(long_rows)} of {len(records)} items skipped, longer than "
                f"max_length {judge.max_length} tokens (listed under skipped)"
            )
            too_long += long_rows
        print(f"== {name}: judging {len(kept)} records", flush=True)
        try:
            out[name] = judge.judge([records[i] for i in kept])
        except ValueError as e:
            raise ValueError(f"{name}: {e}") from None
    return out, notes, too_long


def prediction_row(task: str, judgment: Judgment) -> dict:
    """One predictions.jsonl row: the task, the judge's outputs and the item's score."""
    row = {"task": task, **judgment.to_json()}
    if judgment.record.options:
        row["score"] = item_score(judgment)
    return row


def seqio_metrics(task_name: str, judgments: Sequence[Judgment]) -> dict[str, float]:
    """The registered seqio task's metric functions on generate-mode outputs (original order).

    Raises ValueError for judgments without a generated output (score mode).
    """
    task = seqio.get_mixture_or_task(task_name)
    if any(j.output is None for j in judgments):
        raise ValueError(f"{task_name}: seqio's metrics score generated outputs (generate mode)")
    targets = [task.postprocess_fn(j.record.targets, is_target=True) for j in judgments]
    predictions = [task.postprocess_fn(j.output.text, is_target=False) for j in judgments]
    out: dict[str, float] = {}
    for fn in task.predict_metric_fns:
        out.update(fn(targets, predictions))
    return out
