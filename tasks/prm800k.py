"""OpenAI PRM800K (Lightman et al. 2023): step-level human labels on LLM solutions to MATH problems.

Home: GitHub openai/prm800k (MIT). Files (Git LFS objects under prm800k/data/, fetched from
media.githubusercontent.com because raw.githubusercontent.com serves only the LFS pointers):
phase1_train.jsonl, phase2_train.jsonl (train) and phase1_test.jsonl, phase2_test.jsonl (test).
Pinned to main's commit 7ecc794703b2877f63226f2477a49b34f9b25163 (2023-06-01), whose LFS
pointers give the sizes 7,900,236 / 456,135,365 / 829,105 / 12,240,719 bytes; a stored snapshot
holds only the pointers, so the files' contents were not swept.
Each line is one labelled solution: `question` {problem, ground_truth_solution (MATH's human
solution; absent in phase 1), ground_truth_answer, pre_generated_steps (phase 2 only: the whole
model solution)} and `label` {steps: [{completions: [{text, rating -1/0/+1}], human_completion,
chosen_completion}], finish_reason}.

Tasks:
- prm800k_pairwise (math): which of two solutions of one problem is correct. Following FLAMe,
  pairs are (ground-truth MATH solution, incorrect LLM solution) and (correct LLM solution,
  incorrect LLM solution) of the same problem.
- prm800k_solution (instruction tuning): write the ground-truth solution of a problem.

When a labelled solution is correct or incorrect (deterministic, from the label alone):
- correct: `finish_reason` is "solution" (the labeller reached a step that concluded in the
  correct answer), every step of the trajectory is a model completion (`chosen_completion` set,
  no human-written step) and no chosen step is rated -1. Its text is the trajectory: the chosen
  completions' texts joined by newlines (in phase 2 these are the pre-generated steps).
- incorrect: `finish_reason` is "found_error" (the labeller rated a step -1 and stopped). Its
  text is the whole pre-generated solution (`pre_generated_steps` joined by newlines), so that
  incorrect solutions are complete and end in a final answer like correct ones (the labelled
  trajectory stops at the error, which would give away the answer by its length).
- anything else is skipped: "give_up" and "bad_problem" rows, phase-1 trajectories with a
  human-written step (neither an LLM solution nor the ground truth), "solution" rows with a
  chosen step rated -1 or a step with neither a chosen nor a human completion, and
  "found_error" rows without `pre_generated_steps`.

Pairing (problems repeat across rows: many labellers, quality-control copies, several solutions
per problem): rows are grouped by problem text over all files of a split; a solution text seen
again for the same problem is a duplicate (skipped); a text labelled both correct and incorrect
is dropped. Then, per problem in order of first appearance, each incorrect solution k gives one
pair against the ground-truth solution (when the split has one for the problem) and one against
correct solution number k modulo the number of correct solutions (when there are any). Every
pair is therefore distinct; solutions that pair with nothing are counted as unpaired.
The grouping holds the split's solution texts in memory (a few hundred MB for phase2_train).

prm800k_solution keeps one example per problem: the first row whose question carries a
ground-truth solution; later rows of the same problem are skipped as duplicates. The *_test
files are meant to label PRM800K's held-out MATH problems (its own 12K/500 split); that train
and test problems are disjoint was not verified here (the files were not obtainable).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from flame_jax.data.readers import Row, Skip, SkipRow
from flame_jax.data.registry import FlameTask, register
from flame_jax.data.sources import Source, Url
from flame_jax.format import Capability, Generation, OpenEnded, Pair, Pairwise

SOURCE = Source(
    name="prm800k",
    title="PRM800K",
    license="MIT",
    host=Url(
        "https://media.githubusercontent.com/media/openai/prm800k/"
        "7ecc794703b2877f63226f2477a49b34f9b25163/prm800k/data"
    ),
    notes=(
        "Files of github.com/openai/prm800k (prm800k/data/) are Git LFS objects: they are "
        "fetched from media.githubusercontent.com, which serves their content."
    ),
)

SPLITS = {
    "train": ("phase1_train.jsonl", "phase2_train.jsonl"),
    "test": ("phase1_test.jsonl", "phase2_test.jsonl"),
}
_FINISH_REASONS = ("solution", "found_error", "give_up", "bad_problem")

PAIR_SKIPS = {
    "gave_up": "the labeller gave up on the solution (finish_reason give_up)",
    "bad_problem": "the labeller reported the problem as broken (finish_reason bad_problem)",
    "human_steps": "the trajectory contains human-written steps (phase 1): not an LLM solution",
    "contradictory_label": "finish_reason is solution but a chosen step is rated -1",
    "incomplete_trajectory": "finish_reason is solution but a step has no chosen or human step",
    "no_full_solution": "finish_reason is found_error but the row has no pre_generated_steps",
    "duplicate_solution": "the same solution text was already labelled for this problem",
    "conflicting_labels": "one solution text is labelled both correct and incorrect (per text)",
    "unpaired": "a solution with nothing to pair against (no incorrect solution of its problem; or "
    "no ground truth and no correct solution), per text",
}

SOLUTION_SKIPS = {
    "no_ground_truth_solution": "the question has no ground-truth solution (phase 1 rows)",
    "duplicate_problem": "the problem already gave an example",
}


def _steps(row: Row) -> list:
    steps = row.get("label.steps", list)
    if not steps:
        raise row.error("label.steps", "no steps")
    return steps


def _correct_text(row: Row) -> str:
    """The trajectory of a 'solution' row (raises SkipRow when it is not an LLM solution)."""
    texts = []
    for i in range(len(_steps(row))):
        step = f"label.steps.{i}"
        chosen = row.get(f"{step}.chosen_completion", int, default=None)
        if chosen is None:
            if row.get(f"{step}.human_completion", dict, default=None) is not None:
                raise SkipRow("human_steps")
            raise SkipRow("incomplete_trajectory")
        if not 0 <= chosen < len(row.get(f"{step}.completions", list)):
            raise row.error(f"{step}.chosen_completion", f"{chosen} is not a completion index")
        completion = f"{step}.completions.{chosen}"
        if row.get(f"{completion}.rating", int, choices=(-1, 0, 1), default=None) == -1:
            raise SkipRow("contradictory_label")
        texts.append(row.text(f"{completion}.text"))
    return "\n".join(texts).strip()


def _incorrect_text(row: Row) -> str:
    """The whole pre-generated solution of a 'found_error' row."""
    steps = row.get("question.pre_generated_steps", list, default=None)
    if steps is None:
        raise SkipRow("no_full_solution")
    if not steps:
        raise row.error("question.pre_generated_steps", "empty list")
    texts = [row.text(f"question.pre_generated_steps.{i}") for i in range(len(steps))]
    return "\n".join(texts).strip()


@dataclasses.dataclass
class _Problem:
    ground_truth: str | None = None
    correct: dict[str, None] = dataclasses.field(default_factory=dict)  # ordered sets
    incorrect: dict[str, None] = dataclasses.field(default_factory=dict)


def _ground_truth(row: Row) -> str | None:
    text = row.get("question.ground_truth_solution", str, default=None)
    return text.strip() if text and text.strip() else None


def _read(rows: Iterator[Row]) -> Iterator[tuple[str, _Problem] | Skip]:
    """Groups the labelled solutions by problem; yields skips, then (problem, solutions)."""
    problems: dict[str, _Problem] = {}
    for row in rows:
        problem = problems.setdefault(row.text("question.problem").strip(), _Problem())
        problem.ground_truth = problem.ground_truth or _ground_truth(row)
        finish = row.get("label.finish_reason", str, choices=_FINISH_REASONS)
        try:
            if finish in ("give_up", "bad_problem"):
                raise SkipRow("gave_up" if finish == "give_up" else "bad_problem")
            correct = finish == "solution"
            text = _correct_text(row) if correct else _incorrect_text(row)
        except SkipRow as skip:
            yield Skip(skip.reason)
            continue
        same = problem.correct if correct else problem.incorrect
        if text in same:
            yield Skip("duplicate_solution")
        else:
            same[text] = None  # a text in both sets is a conflict, resolved by the caller
    yield from problems.items()


def _pairs(rows: Iterator[Row]) -> Iterator[Pair | Skip]:
    for entry in _read(rows):
        if isinstance(entry, Skip):
            yield entry
            continue
        problem_text, problem = entry
        for text in [t for t in problem.correct if t in problem.incorrect]:
            del problem.correct[text], problem.incorrect[text]
            yield Skip("conflicting_labels")
        context = {"problem": problem_text}
        correct = list(problem.correct)
        used: set[str] = set()
        for k, bad in enumerate(problem.incorrect):
            paired = False
            if problem.ground_truth and problem.ground_truth != bad:
                yield Pair(context, better=problem.ground_truth, worse=bad)
                paired = True
            if correct:
                used.add(correct[k % len(correct)])
                yield Pair(context, better=correct[k % len(correct)], worse=bad)
                paired = True
            if not paired:
                yield Skip("unpaired")
        for _ in range(len(correct) - len(used)):
            yield Skip("unpaired")


def _solutions(rows: Iterator[Row]) -> Iterator[Generation | Skip]:
    seen: set[str] = set()
    for row in rows:
        problem = row.text("question.problem").strip()
        solution = _ground_truth(row)
        if solution is None:
            yield Skip("no_ground_truth_solution")
        elif problem in seen:
            yield Skip("duplicate_problem")
        else:
            seen.add(problem)
            yield Generation({"problem": problem}, {"solution": solution})


PAIRWISE = Pairwise(
    title="Which solution to the math problem is correct?",
    description=(
        "In this task, you will be shown a competition mathematics problem and two step-by-step "
        "solutions to it. One of them is correct and the other is not. Check every step: a "
        "solution is incorrect as soon as one step contains a mistake, such as a wrong "
        "calculation, a false claim, a misreading of the problem or a conclusion that does "
        "not follow, even if later steps look reasonable. The correct solution reaches the "
        "right final answer through valid steps. Choose the correct solution."
    ),
    context_fields=("problem",),
    response_field="solution",
)

SOLUTION = OpenEnded(
    title="Solve the math problem",
    description=(
        "In this task, you will be shown a competition mathematics problem. Write a correct "
        "solution that explains the reasoning step by step and ends with the final answer in "
        "\\boxed{...}."
    ),
    context_fields=("problem",),
    fields=("solution",),
)

register(
    FlameTask(
        name="prm800k_pairwise",
        source=SOURCE,
        capability=Capability.MATH,
        template=PAIRWISE,
        splits=SPLITS,
        convert=_pairs,
        skips=PAIR_SKIPS,
    )
)

register(
    FlameTask(
        name="prm800k_solution",
        source=SOURCE,
        capability=Capability.INSTRUCTION_TUNING,
        template=SOLUTION,
        splits=SPLITS,
        convert=_solutions,
        skips=SOLUTION_SKIPS,
    )
)
