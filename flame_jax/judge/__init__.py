"""The judge: score mode (option log-probabilities), generate mode (decode + parse), and
pairwise judging in both orders. Sits above models/ and data/."""

from flame_jax.judge.autorater import Autorater, Judgment, PairwiseJudge, generated_verdict
from flame_jax.judge.generation import (
    GeneratedEvaluation,
    generate_evaluations,
    parse_failure_rate,
    parse_generated,
)
from flame_jax.judge.loading import load_autorater
from flame_jax.judge.scoring import (
    PairwiseVerdict,
    encode_example,
    expected_score,
    features_from_tokens,
    option_probabilities,
    option_targets,
    pairwise_both_orders,
    prefix_lm_features,
    swap_responses,
    verdict,
)

__all__ = [
    "Autorater",
    "GeneratedEvaluation",
    "Judgment",
    "PairwiseJudge",
    "PairwiseVerdict",
    "encode_example",
    "expected_score",
    "features_from_tokens",
    "generate_evaluations",
    "generated_verdict",
    "load_autorater",
    "option_probabilities",
    "option_targets",
    "pairwise_both_orders",
    "parse_failure_rate",
    "parse_generated",
    "prefix_lm_features",
    "swap_responses",
    "verdict",
]
