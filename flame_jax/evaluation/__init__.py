"""The paper's evaluation suite: one module per benchmark, each with `evaluate(...)` returning
a `BenchmarkResult` (flame_jax.evaluation.report). Sits above the judge."""
