"""The paper's multi-run recipes built on training and evaluation (the Opt-RM mixture search)."""
