"""Training: state, optimizers, train/eval steps, checkpoints, metrics and the train() entry."""
