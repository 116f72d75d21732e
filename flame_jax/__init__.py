"""flame-jax: an open JAX/TPU reproduction of the FLAMe foundational autoraters."""

import os

# TensorFlow (seqio's data pipeline) logs C++ start-up notices at INFO; keep warnings.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
