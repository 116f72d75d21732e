"""Fixtures of the conversion tests (the model builders are in hf_models.py)."""

import pytest


@pytest.fixture(scope="session")
def torch_threads():
    """transformers and torch, imported once, on one thread (the machine's cores are shared)."""
    import torch
    import transformers

    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()
    return torch
