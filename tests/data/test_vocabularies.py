"""The configured vocabulary: resolved at first use, keeps the format's newlines."""

import pytest

from flame_jax.data import vocabularies


def test_round_trip_keeps_newlines(demo_vocab):
    text = "EVALUATION:\nanswer: A\nexplanation: two  spaces and ünïcode"
    ids = vocabularies.VOCABULARY.encode(text)
    assert vocabularies.VOCABULARY.decode(ids) == text
    assert vocabularies.VOCABULARY.eos_id == 1 and vocabularies.VOCABULARY.pad_id == 0


def test_unset_vocabulary_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(vocabularies, "_vocabulary_path", None)
    monkeypatch.delenv("FLAME_VOCAB", raising=False)
    with pytest.raises(RuntimeError, match="No vocabulary: set FLAME_VOCAB"):
        vocabularies.vocabulary_path()


def test_training_is_deterministic(tmp_path):
    texts = [
        f"INSTRUCTIONS:\ntitle: item {i}\n\nEVALUATION:\nanswer: {'AB'[i % 2]}" for i in range(300)
    ]
    a = vocabularies.train_sentencepiece(texts, str(tmp_path / "a.model"), vocab_size=400)
    b = vocabularies.train_sentencepiece(texts, str(tmp_path / "b.model"), vocab_size=400)
    import sentencepiece as spm

    pieces = [
        [p.id_to_piece(i) for i in range(p.get_piece_size())]
        for p in (
            spm.SentencePieceProcessor(model_file=a),
            spm.SentencePieceProcessor(model_file=b),
        )
    ]
    assert pieces[0] == pieces[1]
