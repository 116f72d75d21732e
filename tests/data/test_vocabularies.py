"""Vocabularies: loaded from their file, the tasks' adaptor, the format's newlines kept."""

import pytest

from flame_jax.data import binding, vocabularies


def test_round_trip_keeps_newlines(demo_vocab):
    vocabulary = vocabularies.load(demo_vocab)
    text = "EVALUATION:\nanswer: A\nexplanation: two  spaces and ünïcode"
    ids = vocabulary.encode(text)
    assert vocabulary.decode(ids) == text
    assert vocabulary.eos_id == 1 and vocabulary.pad_id == 0
    assert vocabularies.path_of(vocabulary) == demo_vocab


def test_the_task_vocabulary_is_the_bound_one_and_unbound_is_a_clear_error(demo_vocab, tmp_path):
    adaptor = vocabularies.TaskVocabulary()
    with pytest.raises(RuntimeError, match="no vocabulary is bound"):
        adaptor.encode("x")
    vocabulary = vocabularies.load(demo_vocab)
    with binding.bound(vocabulary=vocabulary):
        assert adaptor.encode("answer: A") == vocabulary.encode("answer: A")
        assert adaptor.vocab_size == vocabulary.vocab_size
        with binding.bound(data_dir="/d"):  # an inner binding keeps the outer vocabulary
            assert binding.current().vocabulary is vocabulary
    assert binding.current().vocabulary is None
    assert adaptor == vocabularies.TaskVocabulary()
    with pytest.raises(FileNotFoundError, match="no vocabulary file at"):
        vocabularies.load(str(tmp_path / "none.model"))


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
