"""Opt-RM: the tail-patch mixture search's ratings, bundles, weights and report (FLAMe §3).

Input. The tail-patch runner fine-tunes the partially trained ("decent but not optimal")
checkpoint on each training task alone and evaluates the target benchmark's categories along the
way. Per task it writes `W/tailpatch/<task>/curve.json`:

    {"task": "<task>",                                   # the directory's name
     "base": {"Chat": 0.912, "Chat Hard": 0.601, ...},   # the base checkpoint (step 0)
     "evaluations": [{"step": 500, "scores": {"Chat": 0.915, ...}}, ...],
     "complete": true}                                   # the run reached its last step

Scores are proportions in [0, 1] (the project's convention, not percent); steps are positive and
increase; every evaluation has exactly the categories of "base". The runner rewrites the file
after each evaluation with `write_curve` (temporary file + rename), so a reader never sees half a
file. For RewardBench the categories are Chat, Chat Hard, Safety and, as in the paper, Reasoning
split into Math (math-prm) and Coding (hep-*); another target benchmark brings its own category
names and thresholds.

The search (`flame-jax opt-rm weights --workdir W --output mixture.json` runs `search`):
1. `rate`: each task and category gets +2 helpful, +1 somewhat helpful, 0 no clear effect or
   -1 harmful, by `RatingRule`: an automatic rule on the curve that anyone can rerun (the paper
   rated by eye).
2. `bundles`: generally helpful (total rating >= 5); one bundle per category for the tasks whose
   final score (mean of the last `RatingRule.last_k` evaluations) reaches the category's threshold
   (PAPER_THRESHOLDS: Chat 95%, Chat Hard 66%, Math 99.8%, Coding 84%, Safety 85%); others (in no
   bundle). A threshold the base checkpoint already reaches puts every task that keeps it in that
   bundle: that is the paper's rule, and the report shows the base scores.
3. `weights` (`WeightScheme`): 100K for generally helpful, 30K per category bundle, 3K for
   others, summed over the task's bundles; the top-2 tasks (by final score, among those rated
   at least +1 there) of each of Chat Hard, Coding and Safety get exactly 200K.
4. `write_weights` writes the weights file, `register_from_weights` registers the seqio mixture
   `flame_opt_rm` from it (same file, same mixture), and `report` writes report.md and report.png.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import logging
import os
import statistics
import struct
import zlib
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import seqio

from flame_jax.data import mixtures, registry
from flame_jax.files import write_atomically

MIXTURE = "flame_opt_rm"
GENERALLY_HELPFUL = "generally_helpful"
OTHERS = "others"

# FLAMe §3: a task enters a category's bundle when its score in that category reaches these.
PAPER_THRESHOLDS: Mapping[str, float] = MappingProxyType(
    {"Chat": 0.95, "Chat Hard": 0.66, "Math": 0.998, "Coding": 0.84, "Safety": 0.85}
)


# --- Curves: the tail-patch runs' evaluations. ---


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """The benchmark's category scores after `step` steps of tail-patch fine-tuning."""

    step: int
    scores: Mapping[str, float]


@dataclasses.dataclass(frozen=True)
class Curve:
    """One task's tail-patch run: the base checkpoint's scores (step 0) and the evaluations.

    Invalid content raises ValueError naming the field (as curve.json spells it).
    """

    task: str
    base: Mapping[str, float]
    evaluations: tuple[Evaluation, ...]
    complete: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "evaluations", tuple(self.evaluations))
        if not self.base:
            raise ValueError("field 'base': no category")
        _check_scores(self.base, "base")
        previous = 0
        for i, evaluation in enumerate(self.evaluations):
            where = f"evaluations[{i}]"
            step = evaluation.step
            if isinstance(step, bool) or not isinstance(step, int) or step <= previous:
                raise ValueError(
                    f"field '{where}.step': {step!r} must be an integer above {previous} "
                    "(steps increase; the base checkpoint is step 0)"
                )
            if set(evaluation.scores) != set(self.base):
                raise ValueError(
                    f"field '{where}.scores': categories {sorted(evaluation.scores)} differ "
                    f"from those of 'base' {sorted(self.base)}"
                )
            _check_scores(evaluation.scores, f"{where}.scores")
            previous = step

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(self.base)

    @property
    def last_step(self) -> int:
        return self.evaluations[-1].step if self.evaluations else 0

    def scores(self, category: str) -> list[float]:
        """The category's score at each evaluation, in step order (the base not included)."""
        if category not in self.base:
            raise KeyError(f"task {self.task}: no category {category!r}; it has {list(self.base)}")
        return [evaluation.scores[category] for evaluation in self.evaluations]

    def final(self, category: str, last_k: int) -> float:
        """The final score: the mean of the last `last_k` evaluations (of all, when fewer)."""
        scores = self.scores(category)
        if not scores:
            raise ValueError(f"task {self.task}: no evaluation yet")
        return statistics.fmean(scores[-last_k:])


def _check_scores(scores: Mapping[str, float], field: str) -> None:
    for category, value in scores.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not 0.0 <= value <= 1.0
        ):
            raise ValueError(
                f"field '{field}.{category}': {value!r} is not a score in [0, 1] "
                "(proportions, not percent)"
            )


def curve_path(workdir: str, task: str) -> str:
    """Where the tail-patch runner writes the curve of `task`."""
    return os.path.join(workdir, "tailpatch", task, "curve.json")


def write_curve(path: str, curve: Curve) -> None:
    """Writes curve.json (the format in the module docstring) atomically."""
    payload = {
        "task": curve.task,
        "base": dict(curve.base),
        "evaluations": [{"step": e.step, "scores": dict(e.scores)} for e in curve.evaluations],
        "complete": curve.complete,
    }
    write_atomically(path, (json.dumps(payload, indent=1) + "\n").encode())


def _curve_from_json(data: Any) -> Curve:
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    for field, kind, name in (
        ("task", str, "string"),
        ("base", dict, "object"),
        ("evaluations", list, "list"),
        ("complete", bool, "boolean"),
    ):
        if field not in data:
            raise ValueError(f"field '{field}' is missing")
        if not isinstance(data[field], kind):
            raise ValueError(f"field '{field}' must be a {name}")
    evaluations = []
    for i, item in enumerate(data["evaluations"]):
        if not (isinstance(item, dict) and "step" in item and isinstance(item.get("scores"), dict)):
            raise ValueError(f"field 'evaluations[{i}]' must be {{'step': int, 'scores': {{...}}}}")
        evaluations.append(Evaluation(item["step"], item["scores"]))
    return Curve(data["task"], data["base"], tuple(evaluations), data["complete"])


def read_curves(workdir: str) -> dict[str, Curve]:
    """Task -> its curve, from `workdir`/tailpatch/<task>/curve.json, in task-name order.

    A task directory without curve.json (a run that has not evaluated yet) is left out with a
    warning; a malformed file raises ValueError naming the file and the field.
    """
    root = os.path.join(workdir, "tailpatch")
    if not os.path.isdir(root):
        raise FileNotFoundError(f"{root}: no tail-patch runs (expected {root}/<task>/curve.json)")
    curves = {}
    for task in sorted(os.listdir(root)):
        path = curve_path(workdir, task)
        if not os.path.isfile(path):
            if os.path.isdir(os.path.join(root, task)):
                logging.warning("%s is missing: task %s left out (no evaluation yet)", path, task)
            continue
        try:
            with open(path) as f:
                curve = _curve_from_json(json.load(f))
        except ValueError as e:  # json.JSONDecodeError included
            raise ValueError(f"{path}: {e}") from e
        if curve.task != task:
            raise ValueError(f"{path}: field 'task' is {curve.task!r}, the directory {task!r}")
        curves[task] = curve
    if not curves:
        raise FileNotFoundError(f"{root}: no <task>/curve.json yet")
    return curves


def categories_of(curves: Mapping[str, Curve]) -> tuple[str, ...]:
    """The categories every curve shares (in the first curve's order); a mismatch is an error."""
    first = next(iter(curves.values()))
    for task, curve in curves.items():
        if set(curve.categories) != set(first.categories):
            raise ValueError(
                f"task {task} has categories {sorted(curve.categories)}, task {first.task} "
                f"{sorted(first.categories)}: all tail-patch runs must track the same benchmark"
            )
    return first.categories


# --- 1. Ratings. ---


@dataclasses.dataclass(frozen=True)
class RatingRule:
    """The automatic rating of one task in one category (+2, +1, 0, -1).

    On the curve's scores s_1..s_n (the evaluations, in step order) and the base score b:

        noise  = max(noise_floor, median_i |s_{i+1} - s_i|)      (0 pairs: noise_floor)
        gain   = mean(last k evaluations) - b                     (k = last_k, all when fewer)
        stable = the last k evaluations all lie beyond b +- noise on the gain's side

        +2 when gain >= big_factor * noise and stable upwards
        +1 when gain >= small_factor * noise
        -1 when gain <= -small_factor * noise and stable downwards
         0 otherwise

    The noise is the median absolute successive difference of the evaluations: robust to one
    spike, and blind to the jump from the base to the first evaluation (that jump is the effect
    being measured). For independent evaluation noise of standard deviation sd it is about
    0.95 sd, and the gain (a mean of 3 minus one base evaluation) has sd about 1.15 sd.

    Defaults:
      last_k=3: the paper's runs last at most 3,000 steps; evaluated every 500 steps, the last
        3 evaluations are the second half of the run: late enough to be the run's end state,
        several enough to average the noise.
      noise_floor=0.005: half a point. RewardBench categories weigh 358 to 984 items, so half a
        point is 2 to 5 items; it also keeps a run whose scores never move (noise 0, e.g. a
        saturated Math) from rating any tiny difference.
      small_factor=2: 2 noise ~ 1.65 sd of the gain, a one-sided ~5% chance that a task without
        effect rates +1.
      big_factor=4: 4 noise ~ 3.3 sd (~0.05%), and +2 also needs every late evaluation above the
        noise band: the paper's "significant, stable gain".
    """

    last_k: int = 3
    noise_floor: float = 0.005
    small_factor: float = 2.0
    big_factor: float = 4.0

    def __post_init__(self) -> None:
        if self.last_k < 1 or self.noise_floor <= 0:
            raise ValueError(f"{self}: last_k must be >= 1 and noise_floor > 0")
        if not 0 < self.small_factor <= self.big_factor:
            raise ValueError(f"{self}: needs 0 < small_factor <= big_factor")

    def noise(self, scores: Sequence[float]) -> float:
        """The evaluation-to-evaluation variation of a run (at least noise_floor)."""
        steps = [abs(b - a) for a, b in itertools.pairwise(scores)]
        return max(self.noise_floor, statistics.median(steps)) if steps else self.noise_floor


DEFAULT_RULE = RatingRule()


def rate(curve: Curve, category: str, *, rule: RatingRule = DEFAULT_RULE) -> int:
    """The task's rating in `category`: +2, +1, 0 or -1 (RatingRule)."""
    scores = curve.scores(category)
    if not scores:
        raise ValueError(f"task {curve.task}: no evaluation to rate")
    base = curve.base[category]
    noise = rule.noise(scores)
    last = scores[-rule.last_k :]
    gain = statistics.fmean(last) - base
    if gain >= rule.big_factor * noise and all(s - base > noise for s in last):
        return 2
    if gain >= rule.small_factor * noise:
        return 1
    if gain <= -rule.small_factor * noise and all(base - s > noise for s in last):
        return -1
    return 0


def rate_curves(
    curves: Mapping[str, Curve], *, rule: RatingRule = DEFAULT_RULE
) -> dict[str, dict[str, int]]:
    """Task -> category -> rating."""
    return {
        task: {category: rate(curve, category, rule=rule) for category in curve.categories}
        for task, curve in curves.items()
    }


def final_scores(
    curves: Mapping[str, Curve], *, rule: RatingRule = DEFAULT_RULE
) -> dict[str, dict[str, float]]:
    """Task -> category -> final score (mean of the last `rule.last_k` evaluations)."""
    return {
        task: {category: curve.final(category, rule.last_k) for category in curve.categories}
        for task, curve in curves.items()
    }


# --- 2. Bundles. ---


def bundles(
    ratings: Mapping[str, Mapping[str, int]],
    final_scores: Mapping[str, Mapping[str, float]],
    *,
    thresholds: Mapping[str, float] = PAPER_THRESHOLDS,
    generally_helpful_total: int = 5,
) -> dict[str, list[str]]:
    """Bundle -> its tasks (sorted): generally_helpful, one per threshold category, others.

    generally_helpful: the task's ratings sum to at least `generally_helpful_total`. A category
    bundle: the task's final score in that category reaches the threshold (>=). others: the tasks
    in none of these. A task may be in several bundles.
    """
    _check_same_tasks(ratings, final_scores)
    out = {
        GENERALLY_HELPFUL: sorted(
            task
            for task, rating in ratings.items()
            if sum(rating.values()) >= generally_helpful_total
        )
    }
    for category, threshold in thresholds.items():
        if category in (GENERALLY_HELPFUL, OTHERS):
            raise ValueError(f"a category cannot be named {category!r} (a bundle's name)")
        out[category] = sorted(
            task for task in final_scores if _score(final_scores, task, category) >= threshold
        )
    placed = set().union(*out.values())
    out[OTHERS] = sorted(set(ratings) - placed)
    return out


def _check_same_tasks(ratings: Mapping[str, Any], final_scores: Mapping[str, Any]) -> None:
    if set(ratings) != set(final_scores):
        raise ValueError(
            f"tasks rated but without final scores, or the reverse: "
            f"{sorted(set(ratings) ^ set(final_scores))}"
        )


def _score(table: Mapping[str, Mapping[str, float]], task: str, category: str) -> float:
    """A task's final score (or rating) in a category; a missing category names the task."""
    if category not in table[task]:
        raise ValueError(
            f"task {task} has no score for category {category!r} "
            f"(it has {sorted(table[task])}); check the configured category names"
        )
    return table[task][category]


# --- 3. Weights. ---


@dataclasses.dataclass(frozen=True)
class WeightScheme:
    """The mixture rates of FLAMe §3, in examples (seqio rates are relative, so only the ratios
    matter).

    A task's weight is the sum over its bundles: `general` for generally_helpful, `category` for
    each category bundle, `others` for others (a generally helpful task also in the Chat Hard and
    Safety bundles: 100K + 2 x 30K = 160K). The `fixed_top` tasks with the highest final score
    in each of `fixed_categories` (ties broken by name) get exactly `fixed` instead of their sum
    (the paper's "fixed 200K"), also when they are top in several of them. Only tasks rated at
    least `fixed_min_rating` in that category compete: the paper's top tasks are ones that helped,
    and a task without a clear effect must not reach 200K because few tasks were searched or the
    base already scores high (-1 gives the plain top-2 by score).
    """

    general: int = 100_000
    category: int = 30_000
    others: int = 3_000
    fixed: int = 200_000
    fixed_categories: tuple[str, ...] = ("Chat Hard", "Coding", "Safety")
    fixed_top: int = 2
    fixed_min_rating: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "fixed_categories", tuple(self.fixed_categories))
        if min(self.general, self.category, self.others, self.fixed) <= 0 or self.fixed_top < 0:
            raise ValueError(f"{self}: weights must be positive and fixed_top >= 0")


DEFAULT_SCHEME = WeightScheme()


def top_tasks(final_scores: Mapping[str, Mapping[str, float]], category: str, n: int) -> list[str]:
    """The `n` tasks with the highest final score in `category`, ties broken by task name."""
    return sorted(final_scores, key=lambda task: (-_score(final_scores, task, category), task))[:n]


def weights(
    bundles: Mapping[str, Sequence[str]],
    ratings: Mapping[str, Mapping[str, int]],
    final_scores: Mapping[str, Mapping[str, float]],
    *,
    scheme: WeightScheme = DEFAULT_SCHEME,
) -> dict[str, int]:
    """Task -> its mixture weight (WeightScheme), for every task of `final_scores`."""
    _check_same_tasks(ratings, final_scores)
    out = dict.fromkeys(sorted(final_scores), 0)
    for name, tasks in bundles.items():
        per_task = {GENERALLY_HELPFUL: scheme.general, OTHERS: scheme.others}.get(
            name, scheme.category
        )
        for task in tasks:
            if task not in out:
                raise ValueError(f"bundle {name}: task {task} has no final scores")
            out[task] += per_task
    for category in scheme.fixed_categories:
        eligible = {
            task: scores
            for task, scores in final_scores.items()
            if _score(ratings, task, category) >= scheme.fixed_min_rating
        }
        for task in top_tasks(eligible, category, scheme.fixed_top):
            out[task] = scheme.fixed
    unplaced = [task for task, weight in out.items() if weight == 0]
    if unplaced:
        raise ValueError(f"tasks in no bundle (bundles() puts them in {OTHERS}): {unplaced}")
    return out


# --- 4. The weights file and the mixture. ---


def write_weights(path: str, weights: Mapping[str, int], provenance: Mapping[str, Any]) -> None:
    """Writes {"mixture": "flame_opt_rm", "weights": {task: int}, **provenance} atomically.

    `provenance` says how the weights were made (search writes the rule, thresholds, scheme,
    ratings, final scores and bundles), so the file alone explains the mixture.
    """
    bad = {
        t: w for t, w in weights.items() if isinstance(w, bool) or not isinstance(w, int) or w <= 0
    }
    if bad or not weights:
        raise ValueError(f"weights must be positive integers for at least one task; got {bad}")
    reserved = sorted({"mixture", "weights"} & set(provenance))
    if reserved:
        raise ValueError(f"provenance cannot hold the keys {reserved}")
    payload = {"mixture": MIXTURE, "weights": {t: weights[t] for t in sorted(weights)}}
    payload.update(provenance)
    write_atomically(path, (json.dumps(payload, indent=1) + "\n").encode())


def read_weights(path: str) -> dict[str, int]:
    """Task -> weight from a weights file; errors name the file and the field."""
    with open(path) as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: {e}") from e
    table = data.get("weights") if isinstance(data, dict) else None
    if not isinstance(table, dict) or not table:
        raise ValueError(f"{path}: field 'weights' must be a non-empty object task -> weight")
    for task, weight in table.items():
        if isinstance(weight, bool) or not isinstance(weight, int) or weight <= 0:
            raise ValueError(f"{path}: field 'weights.{task}': {weight!r} is not a positive int")
    return dict(table)


_FROM_WEIGHTS: set[str] = set()  # mixtures registered here, which a new weights file replaces


def register_from_weights(path: str, name: str = MIXTURE) -> seqio.Mixture:
    """Registers the mixture `name` whose rates are the file's weights.

    The same file gives the same mixture (tasks in name order, rates = weights); registering
    `name` again from a weights file replaces the previous one. Unknown tasks raise KeyError
    listing close names; evaluation tasks are refused (register_mixture).
    """
    rates = read_weights(path)
    known = {task.name for task in registry.tasks()}
    unknown = [task for task in sorted(rates) if task not in known]
    if unknown:
        raise KeyError(
            f"{path}: " + "; ".join(registry.unknown_name("task", t, known) for t in unknown)
        )
    if name in seqio.MixtureRegistry.names():
        if name not in _FROM_WEIGHTS:
            raise ValueError(f"mixture {name} is already registered, and not from a weights file")
        seqio.MixtureRegistry.remove(name)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    mixture = mixtures.register_mixture(
        name,
        [(task, float(rates[task])) for task in sorted(rates)],
        description=f"Opt-RM tail-patch mixture of {len(rates)} tasks from {path} "
        f"(sha256 {digest}).",
    )
    _FROM_WEIGHTS.add(name)
    return mixture


def search(
    workdir: str,
    output: str,
    *,
    rule: RatingRule = DEFAULT_RULE,
    thresholds: Mapping[str, float] = PAPER_THRESHOLDS,
    generally_helpful_total: int = 5,
    scheme: WeightScheme = DEFAULT_SCHEME,
    report_dir: str | None = None,
    allow_incomplete: bool = False,
) -> dict[str, int]:
    """The whole search on a workdir: curves -> ratings -> bundles -> weights file and report.

    Writes the weights file `output` and the report into `report_dir` (default
    `workdir`/opt_rm). Runs that are not complete are refused unless `allow_incomplete`.
    """
    curves = read_curves(workdir)
    incomplete = sorted(task for task, curve in curves.items() if not curve.complete)
    if incomplete and not allow_incomplete:
        raise ValueError(
            f"{len(incomplete)} tail-patch run(s) not complete: {', '.join(incomplete)} "
            "(wait for them, or allow incomplete runs)"
        )
    categories_of(curves)
    ratings = rate_curves(curves, rule=rule)
    finals = final_scores(curves, rule=rule)
    groups = bundles(
        ratings, finals, thresholds=thresholds, generally_helpful_total=generally_helpful_total
    )
    result = weights(groups, ratings, finals, scheme=scheme)
    provenance = {
        "workdir": workdir,
        "incomplete": incomplete,
        "rule": dataclasses.asdict(rule),
        "thresholds": dict(thresholds),
        "generally_helpful_total": generally_helpful_total,
        "scheme": dataclasses.asdict(scheme),
        "bundles": groups,
        "ratings": ratings,
        "final_scores": finals,
    }
    write_weights(output, result, provenance)
    report(
        curves, ratings, groups, result, report_dir or os.path.join(workdir, "opt_rm"), rule=rule
    )
    return result


# --- The report. ---


def report(
    curves: Mapping[str, Curve],
    ratings: Mapping[str, Mapping[str, int]],
    bundles: Mapping[str, Sequence[str]],
    weights: Mapping[str, int],
    output_dir: str,
    *,
    rule: RatingRule = DEFAULT_RULE,
) -> tuple[str, str]:
    """Writes report.md (change over the base and rating per task and category, the bundles,
    the final shares) and report.png (the changes as a heatmap); returns their paths."""
    categories = categories_of(curves)
    tasks = sorted(curves)
    changes = {
        task: {c: curves[task].final(c, rule.last_k) - curves[task].base[c] for c in categories}
        for task in tasks
    }
    lines = [
        "# Opt-RM mixture search",
        "",
        f"{len(tasks)} tail-patch runs. Rating rule (flame_jax.recipes.opt_rm.RatingRule): "
        + ", ".join(f"{k}={v}" for k, v in dataclasses.asdict(rule).items())
        + ".",
        "",
        "![change over the base](report.png)",
        "",
        "## Change over the base",
        "",
        f"Final score (mean of the last {rule.last_k} evaluations) minus the base checkpoint's, "
        "in points; the rating in brackets (+2 helpful, +1 somewhat, 0 no clear effect, "
        "-1 harmful). Base scores: "
        + ", ".join(_base_range(curves, c) for c in categories)
        + ". A * marks a run that is not complete.",
        "",
        "| task | last step | " + " | ".join(categories) + " | total |",
        "|---|---|" + "---|" * (len(categories) + 1),
    ]
    for task in tasks:
        cells = [f"{100 * changes[task][c]:+.1f} ({_signed(ratings[task][c])})" for c in categories]
        step = f"{curves[task].last_step}{'' if curves[task].complete else '*'}"
        total = sum(ratings[task].values())
        lines.append(f"| {task} | {step} | " + " | ".join(cells) + f" | {_signed(total)} |")
    lines += ["", "## Bundles", ""]
    for name, members in bundles.items():
        lines.append(f"- **{name}** ({len(members)}): {', '.join(members) or '(none)'}")
    total_weight = sum(weights.values())
    lines += [
        "",
        "## Final shares",
        "",
        f"Total weight {total_weight:,}.",
        "",
        "| task | weight | share | bundles |",
        "|---|---|---|---|",
    ]
    for task in sorted(weights, key=lambda t: (-weights[t], t)):
        member_of = ", ".join(name for name, members in bundles.items() if task in members)
        share = 100 * weights[task] / total_weight
        lines.append(f"| {task} | {weights[task]:,} | {share:.2f}% | {member_of} |")
    md_path = os.path.join(output_dir, "report.md")
    png_path = os.path.join(output_dir, "report.png")
    write_atomically(md_path, ("\n".join(lines) + "\n").encode())
    write_atomically(png_path, _heatmap(tasks, categories, changes, ratings).png())
    return md_path, png_path


def _signed(rating: int) -> str:
    return f"{rating:+d}" if rating else "0"


def _base_range(curves: Mapping[str, Curve], category: str) -> str:
    values = [curve.base[category] for curve in curves.values()]
    low, high = 100 * min(values), 100 * max(values)
    return f"{category} {low:.1f}" if low == high else f"{category} {low:.1f} to {high:.1f}"


# A 3x5 pixel font: each glyph is 5 rows, top first, of 3 bits (4 = left pixel, 1 = right).
_FONT = {
    **dict(
        zip(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            "25755 65656 34443 65556 74647 74644 34553 55755 72227 11152 55655 44447 57755 "
            "65555 25552 65644 25563 65655 34216 72222 55557 55552 55775 55255 55222 71247".split(),
            strict=True,
        )
    ),
    **dict(
        zip(
            "0123456789",
            "75557 26227 61247 61216 55711 74616 34757 71222 75757 75716".split(),
            strict=True,
        )
    ),
    "_": "00007",
    "-": "00700",
    "+": "02720",
    ".": "00002",
    ":": "02020",
    " ": "00000",
    "?": "71202",
}
_SCALE = 2  # screen pixels per font pixel
_ADVANCE = 4 * _SCALE  # 3 pixels of glyph and 1 of space
_ROW = 7 * _SCALE
_BLACK, _WHITE = (0, 0, 0), (255, 255, 255)
_GAIN, _LOSS = (26, 150, 65), (215, 48, 39)


class _Canvas:
    """An RGB image with filled rectangles and 3x5-pixel text, encoded as PNG with zlib only
    (matplotlib is not a dependency)."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(b"\xff" * (3 * width * height))

    def fill(self, x: int, y: int, w: int, h: int, color: tuple[int, int, int]) -> None:
        row = bytes(color) * w
        for line in range(y, y + h):
            start = 3 * (line * self.width + x)
            self.pixels[start : start + 3 * w] = row

    def text(self, x: int, y: int, text: str, color: tuple[int, int, int] = _BLACK) -> None:
        for i, char in enumerate(text.upper()):
            for r, bits in enumerate(_FONT.get(char, _FONT["?"])):
                for c in range(3):
                    if int(bits) >> (2 - c) & 1:
                        left = x + i * _ADVANCE + c * _SCALE
                        self.fill(left, y + r * _SCALE, _SCALE, _SCALE, color)

    def png(self) -> bytes:
        stride = 3 * self.width
        raw = b"".join(
            b"\x00" + self.pixels[y * stride : (y + 1) * stride]  # filter type 0 per row
            for y in range(self.height)
        )

        def chunk(kind: bytes, data: bytes) -> bytes:
            crc = zlib.crc32(kind + data) & 0xFFFFFFFF
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)  # 8-bit RGB
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b"")
        )


def _heatmap(
    tasks: Sequence[str],
    categories: Sequence[str],
    changes: Mapping[str, Mapping[str, float]],
    ratings: Mapping[str, Mapping[str, int]],
) -> _Canvas:
    """Rows = tasks, columns = categories; green = gain, red = loss (full colour at the largest
    absolute change); each cell shows the rating."""
    largest = max((abs(v) for row in changes.values() for v in row.values()), default=0.0)
    legend = (
        f"change over base: full green +{100 * largest:.1f} full red -{100 * largest:.1f} "
        "points. cell: rating"
    )
    left = _ADVANCE * max(len(task) for task in tasks) + 2 * _ADVANCE
    column = _ADVANCE * (max(len(c) for c in categories) + 2)
    top = 2 * _ROW
    width = max(left + column * len(categories), _ADVANCE * (len(legend) + 2))
    canvas = _Canvas(width, top + _ROW * (len(tasks) + 2))
    for j, category in enumerate(categories):
        canvas.text(left + j * column + _ADVANCE, _ROW // 2, category)
    for i, task in enumerate(tasks):
        y = top + i * _ROW
        canvas.text(_ADVANCE, y + _SCALE, task)
        for j, category in enumerate(categories):
            change = changes[task][category]
            strength = abs(change) / largest if largest > 0 else 0.0
            tint = _GAIN if change > 0 else _LOSS
            color = tuple(round(w + (t - w) * strength) for w, t in zip(_WHITE, tint, strict=True))
            x = left + j * column
            canvas.fill(x, y, column - _SCALE, _ROW - _SCALE, color)
            canvas.text(x + _ADVANCE, y + _SCALE, _signed(ratings[task][category]))
    canvas.text(_ADVANCE, top + _ROW * len(tasks) + _ROW // 2, legend)
    return canvas
