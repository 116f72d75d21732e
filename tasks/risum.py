"""riSum (Skopek, Aralikatte, Gooding and Carbune 2023, CoNLL, "Towards Better Evaluation of
Instruction-Following: A Case-Study in Summarization"): human ratings of instruction-following
in grounded, query-based summarization.

Role in FLAMe: Table 7, Quality, Pointwise + Classification. riSum has 300 document-instruction
pairs (short real-world documents, e.g. e-mails, each with a user instruction asking for a
focused summary or answer), 3 LLM answers per pair, and every one of the 900 answers rated by
3 human annotators for how well it follows the instruction given the document. It comes from
Google Research; no public release was found (no repository, dataset hub entry or data link
in the paper's pages that the code index or search could reach), so this source is manual and
its license, rating scale and file format are unknown (all unverified).

Expected file (this project's schema, NOT an upstream format): DATA_DIR/risum/
risum_ratings.jsonl, one row per answer, built by the user from the data obtained from the
authors: `example_id`, `document`, `instruction`, `answer`, and `ratings`: the three
annotators' ratings of the answer, integers on a 1-5 scale (1 = does not follow the
instruction at all, 5 = follows it perfectly, faithful to the document). If the authors' scale
differs, map it onto 1-5 before writing the file.

Tasks (capability quality, all in "train"):
- risum_rating (pointwise): the median of the ratings (an integer for an odd count; an even
  count takes the lower middle rating, i.e. the pessimistic one).
- risum_follows_instruction (classification): Yes when a strict majority of the annotators
  rated the answer 4 or 5, otherwise No.
A rating outside 1-5, no ratings, or an empty document, instruction or answer is an error.
"""

from __future__ import annotations

from flame_jax.data.readers import Row
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import Manual, Source
from flame_jax.format import Capability, Classification, Label, Pointwise, Rating

FILE = "risum_ratings.jsonl"

SOURCE = Source(
    name="risum",
    title="riSum",
    license="unknown (not publicly released; ask the authors at Google Research)",
    host=Manual(
        steps=(
            "riSum is not published as files. Ask the authors (Ondrej Skopek, Google Research, "
            "oskopek@google.com; paper: arXiv 2310.08394, CoNLL 2023) for the riSum ratings, "
            f"then write them as DATA_DIR/risum/{FILE}: JSON lines with example_id, document, "
            "instruction, answer and ratings (the three annotators' 1-5 ratings)."
        ),
        home="https://arxiv.org/abs/2310.08394",
    ),
    notes="Manual source with a project-defined file layout (see the module docstring).",
)

_SCALE = (1, 2, 3, 4, 5)
_INTRO = (
    "In this task, you will be shown a document, a user's instruction asking for a summary or "
    "an answer based on the document, and a response written by an AI assistant."
)
_CRITERIA = (
    "A response follows the instruction well when it does exactly what the instruction asks "
    "(its focus, format and length), uses only information the document supports, and "
    "leaves out what the instruction did not ask for."
)

RATING = Pointwise(
    title="How well does the response follow the instruction?",
    description=f"{_INTRO} Rate how well the response follows the instruction. {_CRITERIA}",
    context_fields=("document", "instruction", "response"),
    scale=(
        ("1", "does not follow the instruction at all, or is unsupported by the document"),
        ("2", "follows a small part of the instruction, or has serious errors"),
        ("3", "partly follows the instruction, with clear omissions or errors"),
        ("4", "follows the instruction, with minor problems"),
        ("5", "follows the instruction perfectly and is faithful to the document"),
    ),
)

FOLLOWS = Classification(
    title="Does the response follow the instruction?",
    description=f"{_INTRO} Judge whether the response follows the instruction. {_CRITERIA}",
    context_fields=("document", "instruction", "response"),
    labels=(
        ("Yes", "the response follows the instruction well"),
        ("No", "the response fails the instruction, or follows it only partly"),
    ),
)


def _parts(row: Row) -> tuple[dict[str, str], list[int]]:
    ratings = row.get("ratings", list)
    if not ratings:
        raise row.error("ratings", "no ratings")
    values = [row.get(f"ratings.{i}", int, choices=_SCALE) for i in range(len(ratings))]
    context = {
        "document": row.text("document").strip(),
        "instruction": row.text("instruction").strip(),
        "response": row.text("answer").strip(),
    }
    return context, values


@per_row
def _rate(row: Row) -> Rating:
    context, ratings = _parts(row)
    return Rating(context, score=str(sorted(ratings)[(len(ratings) - 1) // 2]))


@per_row
def _follows(row: Row) -> Label:
    context, ratings = _parts(row)
    good = sum(rating >= 4 for rating in ratings)
    return Label(context, label="Yes" if 2 * good > len(ratings) else "No")


for _name, _template, _convert in (
    ("risum_rating", RATING, _rate),
    ("risum_follows_instruction", FOLLOWS, _follows),
):
    register(
        FlameTask(
            name=_name,
            source=SOURCE,
            capability=Capability.QUALITY,
            template=_template,
            splits={"train": (FILE,)},
            convert=_convert,
        )
    )
