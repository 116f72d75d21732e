"""CoBBLEr (Koo et al. 2023): the source of the cognitive-bias benchmark (files, no task).

Home: GitHub minnesotanlp/cobbler, below competitive-llms/ (pinned at the snapshot HEAD; the two
files were last changed in d4164297). Files:
- datasets/llm_preference_evalset.json: a JSON array of {instruction, reference}, 50 QA
  instructions (BIG-bench StrategyQA and ELI5).
- n15_responses/full_n15_model_generations.json: one JSON object, model name -> list of
  responses, position i answering instruction i, for the 15 CoBBLEr models.

The benchmark prompts are built in code from these two files by flame_jax.evaluation.cobbler,
which names the files (FILES) and finds this source in the registry. Nothing here enters a
seqio task or a training mixture: the data is for evaluation only, and the repository has no
license file.
"""

from __future__ import annotations

from flame_jax.data.registry import register_source_files
from flame_jax.data.sources import GitHub, Source
from flame_jax.evaluation.cobbler import FILES, SOURCE_NAME

SOURCE = Source(
    name=SOURCE_NAME,
    title="CoBBLEr",
    license="no license file upstream (all rights reserved); evaluation use only",
    host=GitHub(
        "minnesotanlp/cobbler",
        ref="5af58e0cfff7676dcb496e30bb5384cb8f214b68",
        prefix="competitive-llms",
    ),
    evaluation_only=True,
    notes=(
        "Evaluation only (flame_jax.evaluation.cobbler): 50 instructions answered by 15 LLMs, "
        "judged pairwise for six cognitive biases. No license file upstream, so no rows are "
        "redistributed; the responses are outputs of models whose providers' terms apply."
    ),
)

register_source_files(SOURCE, FILES)
