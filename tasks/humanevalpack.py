"""HumanEvalPack (Muennighoff et al. 2023, OctoPack): HumanEval in six languages with bugs.

Home: HF bigcode/humanevalpack (MIT). Files: data/<lang>/data/humanevalpack.jsonl for lang in
cpp, go, java, js, python, rust (164 problems each; the same files are in GitHub
bigcode-project/octopack under evaluation/create/humaneval-x/data/). Fields used: task_id
(e.g. "Python/0"), instruction (the natural-language task with the function signature),
declaration (imports and signature), canonical_solution (correct body) and buggy_solution (the
body with one injected bug: missing or excess logic, value, operator, variable or function
misuse).

Tasks humanevalpack_<lang> (evaluation only, test split): which of two programs solves the
task. The pair follows RewardBench's hep-<lang> subsets (prompt = instruction, chosen =
declaration + canonical_solution, rejected = declaration + buggy_solution); RewardBench's
construction script was not found, so this is checked against the fields only, not against
RewardBench rows. A row whose two programs are identical, or whose task_id belongs to another
language, is reported as an error.
"""

from __future__ import annotations

from flame_jax.data.readers import Row
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.format import Capability, Pair, Pairwise

SOURCE = Source(
    name="humanevalpack",
    title="HumanEvalPack",
    license="MIT",
    host=HuggingFace("bigcode/humanevalpack"),
    evaluation_only=True,
    notes="Evaluation only: RewardBench's hep-* subsets are built from it.",
)

# Folder (and task suffix) -> task_id prefix.
LANGUAGES = {
    "cpp": "CPP",
    "go": "Go",
    "java": "Java",
    "js": "JavaScript",
    "python": "Python",
    "rust": "Rust",
}

PAIRWISE = Pairwise(
    title="Which program correctly solves the programming task?",
    description=(
        "In this task, you will be shown a programming task that asks for a function, and two "
        "implementations of that function. One of them is correct; the other contains a bug, "
        "such as missing or extra logic, a wrong value, operator or variable, or a call to the "
        "wrong function, that makes it return wrong results or fail on some inputs. Read both "
        "programs carefully against the task and its examples. Choose the correct program."
    ),
    context_fields=("task",),
    response_field="program",
)


def _converter(prefix: str):
    def pair(row: Row) -> Pair:
        task_id = row.text("task_id")
        if not task_id.startswith(f"{prefix}/"):
            raise row.error("task_id", f"{task_id!r} is not a {prefix} task")
        declaration = row.get("declaration", str)
        correct = declaration + row.text("canonical_solution")
        buggy = declaration + row.text("buggy_solution")
        if correct == buggy:
            raise row.error("buggy_solution", "identical to canonical_solution")
        return Pair({"task": row.text("instruction")}, better=correct, worse=buggy)

    pair.__name__ = f"pair_{prefix.lower()}"
    return per_row(pair)


for _lang, _prefix in LANGUAGES.items():
    register(
        FlameTask(
            name=f"humanevalpack_{_lang}",
            source=SOURCE,
            capability=Capability.CODING,
            template=PAIRWISE,
            splits={"test": (f"data/{_lang}/data/humanevalpack.jsonl",)},
            convert=_converter(_prefix),
            evaluation_only=True,
        )
    )
