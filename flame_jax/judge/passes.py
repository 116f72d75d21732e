"""How the judge cuts its work into forward passes: length buckets under a token budget.

Protocol: the rows of a call (prompts) are sorted by length (stable, so equal lengths keep
their input order) and grouped by length bucket (`bucket_length`: the next multiple of 64 up
to 512 tokens, then a quarter of the octave: 640, 768, 896, 1024, 1280, ..., 2048, 2560, ...,
so a row is padded by at most a quarter of its length and there are four shapes per octave).
A pass holds rows of one bucket. Its row count is the most that keeps

    rows x (bucket + extra) <= token_budget        (at least 1, at most max_rows)

where `extra` is each row's room past its prompt (score mode's option tokens, generate mode's
new tokens); a bucket's last, partial pass is rounded up to a power of two. Each bucket thus
compiles a few shapes (its full row count and the powers of two below it), and the memory of a
pass grows with its tokens, not with the longest record of the call. Callers put the results
back in input order with each pass's indices.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

MIN_BUCKET = 64
DEFAULT_TOKEN_BUDGET = 16 * 2048  # 16 rows of 2048 tokens, 4 of 8192, 1 of 32768


def bucket_length(length: int) -> int:
    """`length` rounded up to its bucket (see the module docstring)."""
    if length < 1:
        raise ValueError(f"length {length} must be >= 1")
    if length <= 8 * MIN_BUCKET:
        return -(-length // MIN_BUCKET) * MIN_BUCKET
    step = (1 << ((length - 1).bit_length() - 1)) // 4  # a quarter of the octave below
    return -(-length // step) * step


@dataclasses.dataclass(frozen=True)
class Pass:
    """One forward pass.

    Attributes:
      length: the bucket every row is padded to.
      rows: the pass's row count (at least len(indices); the rest are padding rows).
      indices: the items in this pass (positions in the caller's list), shortest first.
    """

    length: int
    rows: int
    indices: tuple[int, ...]


def rows_per_pass(length: int, *, token_budget: int, max_rows: int) -> int:
    """The most rows of `length` tokens that fit the budget: at least 1, at most max_rows."""
    return max(1, min(max_rows, token_budget // length))


def plan(lengths: Sequence[int], *, token_budget: int, max_rows: int, extra: int = 0) -> list[Pass]:
    """The passes of items of the given lengths (see the module docstring)."""
    if token_budget < 1 or max_rows < 1:
        raise ValueError(f"token_budget {token_budget} and max_rows {max_rows} must be >= 1")
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    by_bucket: dict[int, list[int]] = {}
    for index in order:
        by_bucket.setdefault(bucket_length(lengths[index]), []).append(index)
    passes = []
    for length, indices in by_bucket.items():
        full = rows_per_pass(length + extra, token_budget=token_budget, max_rows=max_rows)
        for start in range(0, len(indices), full):
            chunk = tuple(indices[start : start + full])
            rows = min(full, 1 << (len(chunk) - 1).bit_length())
            passes.append(Pass(length, rows, chunk))
    return passes
