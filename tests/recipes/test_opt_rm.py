"""Opt-RM search: ratings, bundles and weights against hand-computed cases; files and report."""

import json
import struct
import zlib

import pytest
import seqio

from flame_jax.data import mixtures
from flame_jax.recipes import opt_rm
from flame_jax.recipes.opt_rm import Curve, Evaluation, RatingRule, WeightScheme

CATEGORIES = ("Chat", "Chat Hard", "Math", "Coding", "Safety")


def curve(scores, base=0.60, task="t", category="Chat", complete=True):
    """A one-category curve evaluated every 500 steps."""
    evaluations = [Evaluation(500 * (i + 1), {category: s}) for i, s in enumerate(scores)]
    return Curve(task, {category: base}, tuple(evaluations), complete)


# --- Ratings (default rule: last_k=3, noise_floor=0.005, small 2, big 4). ---


def test_clear_stable_gain_is_helpful():
    # |diffs| .02 .01 .01 .01 .01 -> noise .01; gain mean(.66 .65 .66) - .60 = .0567 >= 4 x .01;
    # each of the last 3 is .05-.06 above the base, beyond the noise: +2.
    assert opt_rm.rate(curve([0.62, 0.64, 0.65, 0.66, 0.65, 0.66]), "Chat") == 2


def test_noisy_flat_run_has_no_clear_effect():
    # |diffs| .04 .03 .02 .03 .04 -> noise .03; gain mean(.59 .62 .58) - .60 = -.0033: 0.
    assert opt_rm.rate(curve([0.62, 0.58, 0.61, 0.59, 0.62, 0.58]), "Chat") == 0


def test_stable_drop_is_harmful():
    # |diffs| .02 .01 0 .01 .01 -> noise .01; gain mean(.75 .74 .75) - .80 = -.0533 <= -2 x .01,
    # every late evaluation .05-.06 below the base: -1.
    assert opt_rm.rate(curve([0.78, 0.76, 0.75, 0.75, 0.74, 0.75], base=0.80), "Chat") == -1


def test_unstable_spike_is_at_most_somewhat_helpful():
    # A last-evaluation spike: |diffs| .01 .01 0 0 .15 -> noise .01; gain mean(.60 .60 .75) - .60
    # = .05 >= 4 x .01, but .60 is not beyond the noise band: not stable, so +1, not +2.
    assert opt_rm.rate(curve([0.60, 0.61, 0.60, 0.60, 0.60, 0.75]), "Chat") == 1
    # A spike that comes back: gain mean(.61 .60 .61) - .60 = .0067 < 2 x .01 (noise): 0.
    assert opt_rm.rate(curve([0.60, 0.70, 0.60, 0.61, 0.60, 0.61]), "Chat") == 0


def test_noise_floor_keeps_a_motionless_run_from_rating_tiny_changes():
    # Identical evaluations: noise = floor .005. Gain .012: >= .01 but < .02 -> +1.
    assert opt_rm.rate(curve([0.512] * 3, base=0.50), "Chat") == 1
    assert opt_rm.rate(curve([0.504] * 3, base=0.50), "Chat") == 0
    assert opt_rm.rate(curve([0.53] * 3, base=0.50), "Chat") == 2
    # A floor of .02: gain .03 < 2 x .02.
    assert opt_rm.rate(curve([0.53] * 3, base=0.50), "Chat", rule=RatingRule(noise_floor=0.02)) == 0


def test_a_single_evaluation_is_rated_against_the_floor():
    assert opt_rm.rate(curve([0.70]), "Chat") == 2
    assert opt_rm.rate(curve([0.58]), "Chat") == -1
    assert opt_rm.RatingRule().noise([0.7]) == 0.005


def test_rule_parameters_are_checked():
    with pytest.raises(ValueError, match="small_factor <= big_factor"):
        RatingRule(small_factor=3, big_factor=2)
    with pytest.raises(ValueError, match="last_k"):
        RatingRule(last_k=0)


def test_final_score_is_the_mean_of_the_last_k_evaluations():
    run = curve([0.1, 0.2, 0.4, 0.6])
    assert run.final("Chat", 3) == pytest.approx(0.4)
    assert run.final("Chat", 10) == pytest.approx(0.325)
    assert opt_rm.final_scores({"t": run}, rule=RatingRule(last_k=2)) == {
        "t": {"Chat": pytest.approx(0.5)}
    }


# --- Bundles and weights: one hand-computed collection with the paper's thresholds. ---

# Final scores; thresholds Chat .95, Chat Hard .66, Math .998, Coding .84, Safety .85.
FINAL = {
    #      Chat  ChatH  Math  Coding Safety
    "gh": (0.90, 0.70, 0.90, 0.70, 0.86),  # Chat Hard, Safety (3rd in both)
    "a": (0.96, 0.60, 0.90, 0.70, 0.80),  # Chat
    "b": (0.90, 0.80, 0.90, 0.70, 0.80),  # Chat Hard (1st)
    "c": (0.90, 0.75, 0.90, 0.70, 0.80),  # Chat Hard (2nd)
    "d": (0.90, 0.60, 0.999, 0.90, 0.80),  # Math, Coding (1st)
    "e": (0.90, 0.60, 0.90, 0.84, 0.90),  # Coding (2nd, exactly at threshold), Safety (1st)
    "f": (0.90, 0.60, 0.998, 0.70, 0.88),  # Math (exactly at threshold), Safety (2nd)
    "o": (0.90, 0.65999, 0.90, 0.70, 0.80),  # just below Chat Hard: others
}
RATINGS = {
    "gh": (1, 2, 0, 0, 2),  # total 5: generally helpful (the bound is inclusive)
    "a": (2, 2, 0, 0, 0),  # total 4: not
    "b": (2, 2, 1, 1, 0),  # total 6: generally helpful, but top-2 of Chat Hard
    "c": (0, 1, 0, 0, 0),  # the fixed weight needs a rating >= 1 in its category
    "d": (0, 0, 1, 2, 0),
    "e": (0, 0, 0, 1, 1),
    "f": (0, 0, 1, 0, 2),
    "o": (2, 2, 2, -1, -1),  # total 4
}


def by_category(table):
    return {task: dict(zip(CATEGORIES, row, strict=True)) for task, row in table.items()}


def test_bundles_with_the_paper_thresholds():
    groups = opt_rm.bundles(by_category(RATINGS), by_category(FINAL))
    assert groups == {
        "generally_helpful": ["b", "gh"],
        "Chat": ["a"],
        "Chat Hard": ["b", "c", "gh"],
        "Math": ["d", "f"],
        "Coding": ["d", "e"],
        "Safety": ["e", "f", "gh"],
        "others": ["o"],
    }


def test_bundle_thresholds_are_configurable():
    groups = opt_rm.bundles(
        by_category(RATINGS),
        by_category(FINAL),
        thresholds={"Chat Hard": 0.65},
        generally_helpful_total=6,
    )
    assert groups == {
        "generally_helpful": ["b"],
        "Chat Hard": ["b", "c", "gh", "o"],
        "others": ["a", "d", "e", "f"],
    }
    with pytest.raises(ValueError, match="no score for category 'Reasoning'"):
        opt_rm.bundles(by_category(RATINGS), by_category(FINAL), thresholds={"Reasoning": 0.9})


def test_weights_sum_over_bundles_and_fix_the_top_two():
    finals = by_category(FINAL)
    result = opt_rm.weights(
        opt_rm.bundles(by_category(RATINGS), finals), by_category(RATINGS), finals
    )
    assert result == {
        "gh": 100_000 + 2 * 30_000,  # the paper's example: generally helpful, Chat Hard, Safety
        "a": 30_000,
        "b": 200_000,  # top-1 Chat Hard: the fixed weight replaces 100K + 30K
        "c": 200_000,  # top-2 Chat Hard
        "d": 200_000,  # top-1 Coding (also Math)
        "e": 200_000,  # top-2 Coding and top-1 Safety: still exactly 200K
        "f": 200_000,  # top-2 Safety
        "o": 3_000,  # others only
    }


def test_weight_scheme_is_configurable():
    finals, ratings = by_category(FINAL), by_category(RATINGS)
    groups = opt_rm.bundles(ratings, finals)
    scheme = WeightScheme(general=10, category=3, others=1, fixed=50, fixed_categories=("Math",))
    assert opt_rm.weights(groups, ratings, finals, scheme=scheme) == {
        "gh": 16,
        "a": 3,
        "b": 13,
        "c": 3,
        "d": 50,
        "e": 6,
        "f": 50,
        "o": 1,
    }
    no_fixed = opt_rm.weights(groups, ratings, finals, scheme=WeightScheme(fixed_top=0))
    assert no_fixed["b"] == 130_000 and no_fixed["e"] == 60_000


def test_top_tasks_break_ties_by_name():
    finals = {
        "z": {"Safety": 0.8},
        "y": {"Safety": 0.8},
        "x": {"Safety": 0.8},
        "w": {"Safety": 0.7},
    }
    assert opt_rm.top_tasks(finals, "Safety", 2) == ["x", "y"]


def test_only_tasks_that_helped_the_category_get_the_fixed_weight():
    finals = {"x": {"Safety": 0.9}, "y": {"Safety": 0.8}, "z": {"Safety": 0.7}}
    ratings = {"x": {"Safety": 0}, "y": {"Safety": 1}, "z": {"Safety": 2}}
    groups = {"others": ["x", "y", "z"]}
    top_one = WeightScheme(fixed_categories=("Safety",), fixed_top=1)
    assert opt_rm.weights(groups, ratings, finals, scheme=top_one) == {
        "x": 3_000,  # the best score, but no clear effect: not eligible
        "y": 200_000,
        "z": 3_000,
    }
    plain = WeightScheme(fixed_categories=("Safety",), fixed_top=1, fixed_min_rating=-1)
    assert opt_rm.weights(groups, ratings, finals, scheme=plain)["x"] == 200_000


def test_a_task_in_no_bundle_is_an_error():
    with pytest.raises(ValueError, match=r"in no bundle.*\['b'\]"):
        opt_rm.weights(
            {"others": ["a"]},
            {"a": {"Chat": 0}, "b": {"Chat": 0}},
            {"a": {"Chat": 0.5}, "b": {"Chat": 0.5}},
            scheme=WeightScheme(fixed_categories=()),
        )


# --- Curves on disk. ---


def five_category_curve(task, gains, complete=True):
    """Base .5 everywhere; 6 evaluations moving to .5 + gain with a +-.002 wobble."""
    base = dict.fromkeys(CATEGORIES, 0.5)
    evaluations = []
    for i in range(6):
        wobble = 0.002 if i % 2 else -0.002
        scores = {
            c: round(0.5 + g * min(1.0, (i + 1) / 3) + wobble, 4)
            for c, g in zip(CATEGORIES, gains, strict=True)
        }
        evaluations.append(Evaluation(500 * (i + 1), scores))
    return Curve(task, base, tuple(evaluations), complete)


def test_curve_round_trip(tmp_path):
    a = five_category_curve("helpsteer_pairwise", (0.05, 0.0, 0.0, 0.0, -0.05))
    b = five_category_curve("prm800k_pairwise", (0.0, 0.1, 0.0, 0.0, 0.0), complete=False)
    for run in (a, b):
        opt_rm.write_curve(opt_rm.curve_path(str(tmp_path), run.task), run)
    (tmp_path / "tailpatch" / "not_started").mkdir()  # no curve.json yet: left out
    assert opt_rm.read_curves(str(tmp_path)) == {a.task: a, b.task: b}
    assert list(tmp_path.glob("tailpatch/*/*.tmp")) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("evaluations"), "field 'evaluations' is missing"),
        (lambda d: d.update(task="other"), "field 'task' is 'other', the directory 'x'"),
        (lambda d: d["evaluations"][1]["scores"].pop("Chat"), r"'evaluations\[1\].scores'"),
        (lambda d: d["base"].update(Chat=95.0), r"'base.Chat': 95.0 is not a score in \[0, 1\]"),
        (lambda d: d["evaluations"][1].update(step=500), r"'evaluations\[1\].step'"),
    ],
)
def test_malformed_curves_name_the_file_and_field(tmp_path, change, message):
    path = opt_rm.curve_path(str(tmp_path), "x")
    opt_rm.write_curve(path, five_category_curve("x", (0.0,) * 5))
    with open(path) as f:
        data = json.load(f)
    change(data)
    with open(path, "w") as f:
        json.dump(data, f)
    with pytest.raises(ValueError, match=message) as error:
        opt_rm.read_curves(str(tmp_path))
    assert path in str(error.value)


# --- The weights file, the mixture and the report. ---


@pytest.fixture
def mixture_name():
    name = "opt_rm_test_mixture"
    yield name
    if name in seqio.MixtureRegistry.names():
        seqio.MixtureRegistry.remove(name)
    mixtures._MIXTURES.pop(name, None)


def test_weights_file_registers_a_mixture_with_those_rates(tmp_path, mixture_name):
    path = str(tmp_path / "mixture.json")
    table = {"prm800k_pairwise": 3_000, "helpsteer_pairwise": 160_000}
    opt_rm.write_weights(path, table, {"rule": {"last_k": 3}})
    with open(path) as f:
        assert json.load(f) == {"mixture": "flame_opt_rm", "weights": table, "rule": {"last_k": 3}}
    for _ in range(2):  # registering the same file again gives the same mixture
        mixture = opt_rm.register_from_weights(path, name=mixture_name)
        assert {t.name: mixture.get_rate(t) for t in mixture.tasks} == table
    assert seqio.get_mixture_or_task(mixture_name) is mixture


def test_weights_file_with_an_unknown_task_suggests_close_names(tmp_path, mixture_name):
    path = str(tmp_path / "mixture.json")
    opt_rm.write_weights(path, {"helpsteer_pairwse": 3_000}, {})
    with pytest.raises(KeyError, match="did you mean helpsteer_pairwise"):
        opt_rm.register_from_weights(path, name=mixture_name)
    opt_rm.write_weights(path, {"helpsteer_pairwise": 3_000}, {})
    with pytest.raises(ValueError, match="already registered"):
        opt_rm.register_from_weights(path, name="flame_rm")


def test_weights_must_be_positive_integers(tmp_path):
    with pytest.raises(ValueError, match="positive integers"):
        opt_rm.write_weights(str(tmp_path / "m.json"), {"a": 0}, {})
    with pytest.raises(ValueError, match="cannot hold"):
        opt_rm.write_weights(str(tmp_path / "m.json"), {"a": 1}, {"weights": {}})


def read_png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height, depth, color = struct.unpack(">IIBB", data[16:26])
    assert (depth, color) == (8, 2)
    idat = struct.unpack(">I", data[33:37])[0]
    assert data[37:41] == b"IDAT"
    assert len(zlib.decompress(data[41 : 41 + idat])) == height * (1 + 3 * width)
    assert data.endswith(b"IEND\xaeB`\x82")
    return width, height


def test_search_writes_weights_and_report(tmp_path):
    runs = {
        "helpsteer_pairwise": (0.05, 0.05, 0.0, 0.0, 0.05),  # +2 +2 0 0 +2: generally helpful
        "prm800k_pairwise": (0.0, 0.0, 0.1, 0.0, 0.0),
        "hh_rlhf_harmlessness": (0.0, -0.05, 0.0, 0.0, 0.0),
    }
    for task, gains in runs.items():
        run = five_category_curve(task, gains, complete=task != "hh_rlhf_harmlessness")
        opt_rm.write_curve(opt_rm.curve_path(str(tmp_path), task), run)
    output = str(tmp_path / "mixture.json")
    with pytest.raises(ValueError, match=r"1 tail-patch run.*hh_rlhf_harmlessness"):
        opt_rm.search(str(tmp_path), output)
    thresholds = {"Chat Hard": 0.54, "Math": 0.59}
    scheme = WeightScheme(fixed_categories=("Safety",), fixed_top=1)
    result = opt_rm.search(
        str(tmp_path), output, thresholds=thresholds, scheme=scheme, allow_incomplete=True
    )
    # Noise .005 (floor; late wobble +-.002); final = .5 + gain + (.002 - .002 + .002) / 3.
    assert result == {
        "helpsteer_pairwise": 200_000,  # top-1 Safety (it is also generally helpful, Chat Hard)
        "prm800k_pairwise": 30_000,  # Math .6007 >= .59
        "hh_rlhf_harmlessness": 3_000,
    }
    with open(output) as f:
        written = json.load(f)
    assert written["weights"] == result
    assert written["ratings"]["helpsteer_pairwise"] == dict(
        zip(CATEGORIES, (2, 2, 0, 0, 2), strict=True)
    )
    assert written["ratings"]["hh_rlhf_harmlessness"]["Chat Hard"] == -1
    assert written["bundles"]["generally_helpful"] == ["helpsteer_pairwise"]
    assert written["incomplete"] == ["hh_rlhf_harmlessness"]

    md = (tmp_path / "opt_rm" / "report.md").read_text()
    assert "| task | last step | Chat | Chat Hard | Math | Coding | Safety | total |" in md
    assert "| hh_rlhf_harmlessness | 3000* | +0.1 (0) | -4.9 (-1) |" in md
    assert "| helpsteer_pairwise | 200,000 | 85.84% | generally_helpful, Chat Hard |" in md
    assert "| hh_rlhf_harmlessness | 3,000 | 1.29% | others |" in md
    assert "- **Math** (1): prm800k_pairwise" in md
    width, height = read_png_size(tmp_path / "opt_rm" / "report.png")
    assert width > 100 and height == 2 * 14 + 14 * 5
