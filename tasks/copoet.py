"""CoPoet third-party evaluation (Chakrabarty, Padmakumar and He 2022, EMNLP): which of two
poems written for the same title is more creative and interesting.

Role in FLAMe: the held-out benchmark "CoPoet" (FLAME.md §4; pairwise, evaluation only).

Home: GitHub vishakhpk/creative-instructions (MIT), pinned at 65d6266f (2023-09-04), the commit
that added the MIT LICENSE right after 36d98fb3 uploaded the file below (the file's blob is the
same at both; at 36d98fb3 the repository had no license yet). In the paper's user study,
crowdworkers wrote poems for titles with CoPoet ("collab poem") and without it ("solo poem");
other crowdworkers then judged the two poems of each title ("Pick the better poem: given 2 poems
on the same topic, decide which one is more creative and interesting"), three per pair. File (an
MTurk batch export): "Batch_4739845_batch_results - Batch_4739845_batch_results.csv", with the
MTurk columns (HITId, WorkerId, ...), Input.title, Input.poem_1 and Input.poem_2 (lines
separated by the HTML break "<br />"), Answer.accurate1-1.yes / Answer.accurate1-2.no and the
same for poem 2 (does the poem fit the title), Answer.creative1.creative1 and
Answer.creative2.creative2 ("TRUE" for the poem chosen as more creative and interesting, "FALSE"
for the other), Retain%, Answer.submitcode (the worker's reason), Approve and Reject. The file
name has spaces, which raw.githubusercontent URLs cannot carry here, so it is extracted from the
repository snapshot zip of the pinned commit (`Archive`), keeping its upstream name.
human_eval/poems_submission/amt_solo_vs_collab.json in the same repository lists which poem of
each title is the collaborative one; it holds no judgment and is not read.

Task copoet_preference (pairwise, quality; evaluation only, test split). One record per HIT (a
title and its two poems, "<br />" rendered as a line break). Each worker's vote is the poem whose
creative flag is "TRUE"; a vote that marks both poems or neither is dropped. The better poem is
the majority of the votes; a HIT whose votes split evenly is skipped (`tie`), one with no valid
vote too (`no_votes`). The fit-the-title questions are not used (FLAMe reports one pairwise
column for CoPoet). The rows of one HIT must agree on the title and poems. The paper's own FLAMe
construction (majority or per-annotation records) is not published; the majority vote is this
module's choice.
"""

from __future__ import annotations

from collections.abc import Iterator

from flame_jax.data.readers import Row, Skip, annotation_groups, majority
from flame_jax.data.registry import FlameTask, register
from flame_jax.data.sources import Archive, Source
from flame_jax.format import Capability, Pair, Pairwise

_COMMIT = "65d6266f7ea3d80f111742904f7c97dba733e3be"
FILE = "Batch_4739845_batch_results - Batch_4739845_batch_results.csv"

SOURCE = Source(
    name="copoet",
    title="CoPoet third-party poem evaluation",
    license="MIT",
    host=Archive(
        f"https://github.com/vishakhpk/creative-instructions/archive/{_COMMIT}.zip",
        members={FILE: f"creative-instructions-{_COMMIT}/{FILE}"},
    ),
    evaluation_only=True,
    notes=(
        "Evaluation only (held-out benchmark). Extracted from the repository snapshot zip "
        "because the file name has spaces; three crowdworker votes per pair of poems."
    ),
)

SKIPS = {
    "tie": "the workers' votes split evenly between the two poems",
    "no_votes": "no worker marked exactly one of the two poems",
}

PAIRWISE = Pairwise(
    title="Which poem written for the title is more creative and interesting?",
    description=(
        "In this task, you will be shown the title of a short poem and two poems written for "
        "that title. Decide which of the two poems is more creative and interesting: the one "
        "with more original and vivid imagery, word choice and ideas, that engages the reader "
        "and fits its title."
    ),
    context_fields=("title",),
    response_field="poem",
)

_FLAG = ("TRUE", "FALSE")
_SAME = ("Input.title", "Input.poem_1", "Input.poem_2")


def _vote(row: Row) -> int | None:
    """1 or 2 (the poem marked more creative), or None when both or neither are marked."""
    first = row.get("Answer.creative1.creative1", str, choices=_FLAG) == "TRUE"
    second = row.get("Answer.creative2.creative2", str, choices=_FLAG) == "TRUE"
    return None if first == second else 1 if first else 2


def _poem(row: Row, field: str) -> str:
    return row.text(field).replace("<br />", "\n").replace("<br>", "\n").strip()


def _pairs(rows: Iterator[Row]) -> Iterator[Pair | Skip]:
    for group in annotation_groups(rows, "HITId", _SAME):
        first = group[0]
        poems = {1: _poem(first, "Input.poem_1"), 2: _poem(first, "Input.poem_2")}
        better = majority(map(_vote, group))
        if isinstance(better, Skip):
            yield better
            continue
        yield Pair(
            {"title": first.text("Input.title").strip()},
            better=poems[better],
            worse=poems[3 - better],
        )


register(
    FlameTask(
        name="copoet_preference",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=PAIRWISE,
        splits={"test": (FILE,)},
        convert=_pairs,
        skips=SKIPS,
        evaluation_only=True,
    )
)
