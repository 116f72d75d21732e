"""Tokenizing throughput of a tokenizer.json vocabulary against SentencePiece, on the demo texts.

    python benchmarks/bpe_vocabulary.py [--examples 2000] [--vocab_size 1000]

Both vocabularies are trained on the same demo-task examples (flame_tasks.demo; no data
directory needed): SentencePiece with vocabularies.train_sentencepiece, byte-level BPE
(Llama 3's layout) with testing.train_byte_level_bpe. Measured in one run, examples/s of:
  1. Python encode, one text at a time (what the judge does);
  2. tf.data, one text per map call through `encode_tf`, as seqio's tokenize preprocessor
     calls it (the BPE vocabulary goes through tf.numpy_function, SentencePiece through a
     TF op);
  3. tf.data, batches of 64 texts per `encode_tf` call (RaggedTensor out), then unbatched.
Prints each rate and the ratio BPE / SentencePiece.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import flame_tasks  # noqa: F401  (registers the demo tasks)
import tensorflow as tf

from flame_jax.data import registry, testing, vocabularies
from flame_jax.data.hf_vocabulary import HuggingFaceVocabulary
from flame_jax.data.vocabularies import load as load_vocabulary

DEMO_TASKS = ("demo_sorting", "demo_sortedness", "demo_support", "demo_correction")


def _rate(fn, count: int, repeats: int = 3) -> float:
    """Examples per second of fn() over `count` examples: the best of `repeats` runs."""
    fn()  # warm up (tracing, thread pools)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return count / best


def _drain(dataset: tf.data.Dataset) -> None:
    for _ in dataset:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--vocab_size", type=int, default=1000)
    args = parser.parse_args()

    per_task = args.examples // len(DEMO_TASKS) + 1
    texts = []
    for name in DEMO_TASKS:
        for record in registry.first_records(registry.get_task(name), "train", per_task):
            texts.append(record.inputs + record.targets)
    texts = texts[: args.examples]
    workdir = tempfile.mkdtemp()
    sp_path = vocabularies.train_sentencepiece(
        texts, os.path.join(workdir, "sp.model"), vocab_size=args.vocab_size
    )
    bpe_path = testing.train_byte_level_bpe(
        texts, os.path.join(workdir, "bpe"), vocab_size=args.vocab_size
    )
    kinds = {"sentencepiece": load_vocabulary(sp_path), "bpe": load_vocabulary(bpe_path)}
    assert isinstance(kinds["bpe"], HuggingFaceVocabulary)
    tokens = {k: sum(len(v.encode(t)) for t in texts) for k, v in kinds.items()}
    print(
        f"{len(texts)} demo examples, {sum(map(len, texts)) / len(texts):.0f} characters each; "
        + ", ".join(f"{k} {n / len(texts):.0f} tokens" for k, n in tokens.items())
    )

    strings = tf.data.Dataset.from_tensor_slices(texts)
    autotune = tf.data.AUTOTUNE
    rates: dict[str, dict[str, float]] = {}
    for kind, vocabulary in kinds.items():
        rates[kind] = {
            "python encode": _rate(lambda v=vocabulary: [v.encode(t) for t in texts], len(texts)),
            "tf.data, one per call": _rate(
                lambda v=vocabulary: _drain(strings.map(v.encode_tf, num_parallel_calls=autotune)),
                len(texts),
            ),
            "tf.data, 64 per call": _rate(
                lambda v=vocabulary: _drain(
                    strings.batch(64).map(v.encode_tf, num_parallel_calls=autotune).unbatch()
                ),
                len(texts),
            ),
        }
    print(f"{'examples/s':<24}{'sentencepiece':>14}{'bpe':>12}{'bpe / sp':>10}")
    for stage in rates["sentencepiece"]:
        sp, bpe = rates["sentencepiece"][stage], rates["bpe"][stage]
        print(f"{stage:<24}{sp:>14,.0f}{bpe:>12,.0f}{bpe / sp:>10.2f}")


if __name__ == "__main__":
    main()
