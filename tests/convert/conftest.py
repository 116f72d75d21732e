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


@pytest.fixture(autouse=True)
def _restore_process_settings(monkeypatch):
    """Training and the vocabulary tests set the process-wide vocabulary and chat template:
    put both back after each test."""
    from flame_jax.data import chat, vocabularies

    monkeypatch.setattr(vocabularies, "_vocabulary_path", vocabularies._vocabulary_path)
    monkeypatch.setattr(chat, "_active", chat._active)
