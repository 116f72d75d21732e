"""Passes under a token budget: buckets, row counts, every item exactly once."""

import pytest

from flame_jax.judge import passes


def test_bucket_lengths():
    assert [passes.bucket_length(n) for n in (1, 64, 65, 500, 512)] == [64, 64, 128, 512, 512]
    assert [passes.bucket_length(n) for n in (513, 640, 641, 1024, 1025)] == [
        640,
        640,
        768,
        1024,
        1280,
    ]
    assert passes.bucket_length(2067) == 2560
    assert passes.bucket_length(16_384) == 16_384
    for n in range(1, 40_000, 37):
        bucket = passes.bucket_length(n)
        assert n <= bucket, n
        assert bucket - n < 64 if n <= 512 else bucket <= 1.25 * n, n  # padding bounded
        assert bucket % 64 == 0
    # Four shapes per octave above 512 tokens.
    assert len({passes.bucket_length(n) for n in range(4097, 8193)}) == 4
    with pytest.raises(ValueError):
        passes.bucket_length(0)


def test_plan_respects_the_budget_and_covers_every_item_once():
    lengths = [30, 5000, 70, 2067, 30, 9000, 600, 65, 70, 16_000, 3] * 3
    planned = passes.plan(lengths, token_budget=8192, max_rows=4, extra=16)
    seen = [i for p in planned for i in p.indices]
    assert sorted(seen) == list(range(len(lengths)))
    for p in planned:
        assert len(p.indices) <= p.rows <= 4
        assert p.rows == 1 or p.rows * (p.length + 16) <= 8192
        assert all(passes.bucket_length(lengths[i]) == p.length for i in p.indices)
    # Shortest first; equal lengths keep their input order.
    assert seen == sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    # A record longer than the budget still gets a pass of its own.
    assert [p.rows for p in planned if p.length == 16_384] == [1, 1, 1]


def test_partial_passes_round_up_to_a_power_of_two():
    planned = passes.plan([100] * 11, token_budget=10_000, max_rows=16)
    assert [(p.rows, len(p.indices)) for p in planned] == [(16, 11)]
    planned = passes.plan([100] * 11, token_budget=10_000, max_rows=4)
    assert [(p.rows, len(p.indices)) for p in planned] == [(4, 4), (4, 4), (4, 3)]
    planned = passes.plan([100] * 5, token_budget=128 * 3, max_rows=16)
    assert [(p.rows, len(p.indices)) for p in planned] == [(3, 3), (2, 2)]
    assert passes.plan([], token_budget=1, max_rows=1) == []
    with pytest.raises(ValueError, match="token_budget"):
        passes.plan([1], token_budget=0, max_rows=1)
