"""Optimizers and schedules: every optimizer minimises a quadratic, schedule values match
hand-computed ones, clipping bounds the update, and bad names fail with the known ones."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from flame_jax.training.optimizers import OPTIMIZERS, make_optimizer, make_schedule


def _quadratic_params():
    # A matrix big enough for Adafactor to factor its second moments (both dims >= 128 by
    # default; min_dim_size_to_factor is lowered below so that this 8x6 one is factored).
    rng = np.random.default_rng(0)
    return {
        "w": jnp.asarray(rng.normal(size=(8, 6)), jnp.float32),
        "b": jnp.asarray(rng.normal(size=(6,)), jnp.float32),
    }


def _loss(params):
    return sum(jnp.sum((x - 0.5) ** 2) for x in jax.tree_util.tree_leaves(params))


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_decreases_a_quadratic(name):
    kwargs = {"adafactor_min_dim_size_to_factor": 4} if name == "adafactor" else {}
    if name in ("adamw", "adafactor"):
        kwargs["weight_decay"] = 1e-4
    optimizer, _ = make_optimizer(name, 0.05, warmup_steps=2, **kwargs)
    params = _quadratic_params()
    opt_state = optimizer.init(params)

    @jax.jit
    def step(params, opt_state):
        grads = jax.grad(_loss)(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    start = float(_loss(params))
    for _ in range(30):
        params, opt_state = step(params, opt_state)
    assert float(_loss(params)) < 0.5 * start
    if name == "adafactor":  # factored: row and column statistics, not a full matrix
        factored = jax.tree_util.tree_leaves(opt_state)
        assert not any(np.shape(x) == (8, 6) for x in factored)


def test_schedule_values_at_chosen_steps():
    lr = 1e-3
    constant = make_schedule(lr, "constant", warmup_steps=10)
    assert [float(constant(s)) for s in (0, 5, 10, 1000)] == pytest.approx([0, 5e-4, lr, lr])
    assert float(make_schedule(lr)(0)) == pytest.approx(lr)  # no warmup: full rate at once

    cosine = make_schedule(lr, "linear_warmup_cosine", warmup_steps=10, total_steps=110)
    # After warmup, progress p = (step - 10) / 100 and lr * (1 + cos(pi p)) / 2.
    expected = [0.0, 5e-4, lr, lr * (1 + math.cos(math.pi * 0.25)) / 2, lr / 2, 0.0, 0.0]
    got = [float(cosine(s)) for s in (0, 5, 10, 35, 60, 110, 500)]
    assert got == pytest.approx(expected, abs=1e-9)
    floor = make_schedule(
        lr, "linear_warmup_cosine", total_steps=100, end_learning_rate_fraction=0.1
    )
    assert float(floor(100)) == pytest.approx(1e-4)
    assert float(floor(50)) == pytest.approx(1e-4 + 0.9e-3 / 2)

    rsqrt = make_schedule(0.01, "rsqrt", warmup_steps=100)
    # Linear warmup to 0.01 at step 100, then 0.01 * sqrt(100 / step).
    got = [float(rsqrt(s)) for s in (50, 100, 400, 10_000)]
    assert got == pytest.approx([0.005, 0.01, 0.005, 0.001])
    no_warmup = make_schedule(0.01, "rsqrt")
    assert [float(no_warmup(s)) for s in (0, 1, 4)] == pytest.approx([0.01, 0.01, 0.005])


def test_the_optimizer_follows_its_schedule():
    # SGD's update is -lr(count) * grad, so the schedule is visible in the updates.
    optimizer, schedule = make_optimizer("sgd", 0.1, schedule="constant", warmup_steps=4)
    params = {"x": jnp.ones(3)}
    opt_state = optimizer.init(params)
    for step in range(6):
        updates, opt_state = optimizer.update({"x": jnp.ones(3)}, opt_state, params)
        np.testing.assert_allclose(updates["x"], -float(schedule(step)), rtol=1e-6)
        assert float(schedule(step)) == pytest.approx(0.1 * min(1.0, step / 4))


def test_clipping_bounds_the_update():
    huge = {"x": jnp.full((4,), 1e6), "y": jnp.full((3, 3), -1e6)}
    params = jax.tree_util.tree_map(jnp.zeros_like, huge)

    optimizer, _ = make_optimizer("sgd", 0.1, clip_grad_norm=1.0)
    updates, _ = optimizer.update(huge, optimizer.init(params), params)
    assert float(optax.global_norm(updates)) == pytest.approx(0.1, rel=1e-5)  # lr * max norm
    unclipped, _ = make_optimizer("sgd", 0.1)
    updates, _ = unclipped.update(huge, unclipped.init(params), params)
    assert float(optax.global_norm(updates)) > 1e5

    # Adam is scale-invariant, so look at what it accumulates: the clipped gradient.
    adam, _ = make_optimizer("adam", 1e-4, clip_grad_norm=2.0)
    _, state = adam.update(huge, adam.init(params), params)
    moments = next(s for s in jax.tree_util.tree_leaves(state, is_leaf=_is_adam) if _is_adam(s))
    assert float(optax.global_norm(moments.mu)) == pytest.approx((1 - 0.9) * 2.0, rel=1e-5)


def _is_adam(x):
    return isinstance(x, optax.ScaleByAdamState)


def test_gradient_accumulation_applies_the_mean_every_k_steps():
    optimizer, _ = make_optimizer("sgd", 1.0, grad_accum_steps=2)
    params = {"x": jnp.zeros(2)}
    state = optimizer.init(params)
    first, state = optimizer.update({"x": jnp.array([1.0, 3.0])}, state, params)
    second, state = optimizer.update({"x": jnp.array([3.0, 5.0])}, state, params)
    np.testing.assert_array_equal(first["x"], [0.0, 0.0])
    np.testing.assert_allclose(second["x"], [-2.0, -4.0])


def test_bad_names_and_arguments_fail_clearly():
    with pytest.raises(ValueError, match=r"unknown optimizer 'adamm'.*adam, adamw, adafactor, sgd"):
        make_optimizer("adamm")
    with pytest.raises(ValueError, match="Did you mean 'adafactor'"):
        make_optimizer("adafacter")
    with pytest.raises(ValueError, match=r"unknown learning-rate schedule 'cosine'.*rsqrt"):
        make_optimizer("adam", schedule="cosine")
    with pytest.raises(ValueError, match="needs total_steps"):
        make_optimizer("adam", schedule="linear_warmup_cosine", warmup_steps=10)
    with pytest.raises(ValueError, match="use 'adamw'"):
        make_optimizer("adam", weight_decay=0.01)
    with pytest.raises(ValueError, match="clip_grad_norm"):
        make_optimizer("adam", clip_grad_norm=0.0)
