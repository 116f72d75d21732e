"""CoBBLEr: loading the upstream files, the rendered prompt, and each bias on constructed judges.

No upstream rows are shipped (the repository has no license), so the tests write files in the
upstream schema (../shared/data/cobbler/README.md): an evalset JSON array and one JSON object of
model -> responses. Model k's response to instruction i names its model and has a length rank
that differs per instruction, so judges can recognise authors and lengths.
"""

import json
import math
import os

import pytest

from flame_jax.data import testing
from flame_jax.data.readers import DataError
from flame_jax.evaluation import cobbler
from flame_jax.judge.scoring import swap_responses

EVALSET = "datasets/llm_preference_evalset.json"
GENERATIONS = "n15_responses/full_n15_model_generations.json"


def _response(k: int, model: str, i: int) -> str:
    rank = (7 * k + 4 * i) % 15  # 7 is coprime to 15: distinct ranks within an instruction
    # Steps of 20 characters outweigh the model names' different lengths; the leading space
    # is upstream's (responses are shown stripped).
    return f" {model} answers question {i}: " + "x" * (5 + 20 * rank)


def _generations(n: int) -> dict:
    return {m: [_response(k, m, i) for i in range(n)] for k, m in enumerate(cobbler.MODELS)}


def _write(root, n: int = 3, generations: dict | None = None, evalset: list | None = None):
    rows = evalset or [
        {"instruction": f"Question {i}?", "reference": f"Ref {i}."} for i in range(n)
    ]
    testing.write_rows(root, "cobbler", EVALSET, rows)
    path = os.path.join(root, "cobbler", GENERATIONS)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(_generations(n) if generations is None else generations, f)  # one line
    return str(root)


@pytest.fixture
def data(tmp_path):
    return cobbler.load(_write(tmp_path, n=3))


class ChoiceJudge:
    """Answers each order with choose(context fields) -> "A"/"B", reading only the prompt."""

    def __init__(self, choose):
        self.choose = choose

    def judge_pairs(self, records):
        return [
            cobbler.verdict_from_answers(
                self.choose(dict(r.context)), self.choose(dict(swap_responses(r).context))
            )
            for r in records
        ]


def first(context):
    return "A"


def longer(context):
    return "A" if len(context["response_a"]) > len(context["response_b"]) else "B"


def _named_slot(context, phrase):
    """The slot of the system the injected sentence names, when it contains `phrase`."""
    note = context.get("note", "")
    if phrase not in note:
        return None
    named = "System Star" if "System Star" in note else "System Square"
    return "A" if context["system_a"] == named else "B"


def follows_bandwagon(context):
    return _named_slot(context, "people believe") or longer(context)


def distracted(context):
    return _named_slot(context, "apples and oranges") or longer(context)


def prefers_gpt4(context):
    for slot in ("a", "b"):
        if context[f"response_{slot}"].startswith("gpt4 answers"):
            return slot.upper()
    return longer(context)


def _consistency(result, condition="order"):
    rows = [p for p in result.predictions if p["condition"] == condition]
    return sum(p["consistent"] for p in rows) / len(rows)


# --- Loading --------------------------------------------------------------------------------


def test_load_reads_the_upstream_files(tmp_path):
    data = cobbler.load(_write(tmp_path, n=3))
    assert data.models == cobbler.MODELS
    assert data.instructions == ("Question 0?", "Question 1?", "Question 2?")
    assert data.references[2] == "Ref 2."
    assert data.responses["gpt4"][1] == _response(6, "gpt4", 1)  # upstream text, unchanged
    assert data.response("gpt4", 1) == _response(6, "gpt4", 1).strip()


def test_missing_file_names_path_and_download_url(tmp_path):
    testing.write_rows(tmp_path, "cobbler", EVALSET, [{"instruction": "Q?", "reference": "R"}])
    with pytest.raises(DataError, match=r"full_n15_model_generations\.json") as error:
        cobbler.load(str(tmp_path))
    assert "raw.githubusercontent.com/minnesotanlp/cobbler" in str(error.value)
    assert "competitive-llms/n15_responses" in str(error.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda g: g["koala"].pop(), r"field 'koala': 2 responses for the 3 instructions"),
        (lambda g: g["mpt"].__setitem__(1, None), r"field 'mpt\.1': expected str, got NoneType"),
        (lambda g: g.pop("falcon"), r"missing \['falcon'\], unexpected \[\]"),
        (lambda g: g.update(bard=g["llama"]), r"missing \[\], unexpected \['bard'\]"),
        (lambda g: g.update(dolly="one answer"), r"field 'dolly': expected a list"),
    ],
)
def test_bad_generations_name_file_and_field(tmp_path, change, message):
    generations = _generations(3)
    change(generations)
    root = _write(tmp_path, n=3, generations=generations)
    with pytest.raises(DataError, match=message) as error:
        cobbler.load(root)
    assert f"file {GENERATIONS}" in str(error.value)


def test_bad_evalset_row_names_file_row_and_field(tmp_path):
    rows = [{"instruction": "Q?", "reference": "R"}, {"question": "Q?", "reference": "R"}]
    root = _write(tmp_path, n=2, evalset=rows)
    with pytest.raises(DataError, match=rf"file {EVALSET}, row 2, field 'instruction': missing"):
        cobbler.load(root)


def test_invalid_generations_json_names_file(tmp_path):
    root = _write(tmp_path, n=2)
    with open(os.path.join(root, "cobbler", GENERATIONS), "w") as f:
        f.write('{"vicuna": [')
    with pytest.raises(DataError, match=f"file {GENERATIONS}: invalid JSON"):
        cobbler.load(root)


def test_multi_line_generations_object_is_read_whole(tmp_path):
    root = _write(tmp_path, n=2)
    with open(os.path.join(root, "cobbler", GENERATIONS), "w") as f:
        json.dump(_generations(2), f, indent=4)
    assert cobbler.load(root).responses == {m: tuple(r) for m, r in _generations(2).items()}


# --- Pairs and records ----------------------------------------------------------------------


def test_round_robin_pairs_and_identical_responses(data):
    comparisons, identical = cobbler.select_comparisons(data)
    assert (len(comparisons), identical) == (3 * 105, 0)
    assert len({(c.instruction, frozenset((c.model_a, c.model_b))) for c in comparisons}) == 315
    # The model in slot a alternates: each pair's first model leads half the time.
    leads = [cobbler.MODELS.index(c.model_a) < cobbler.MODELS.index(c.model_b) for c in comparisons]
    assert abs(sum(leads) - len(leads) / 2) <= 1

    same = dict(data.responses)
    same["baize"] = (data.responses["vicuna"][0] + "  ", *same["baize"][1:])  # same once stripped
    comparisons, identical = cobbler.select_comparisons(
        cobbler.CobblerData(data.instructions, data.references, same)
    )
    assert (len(comparisons), identical) == (3 * 105 - 1, 1)


def test_subsample_is_deterministic_and_capped(data):
    picked = cobbler.select_comparisons(
        data, max_instructions=2, max_pairs_per_instruction=10, seed=3
    )
    again = cobbler.select_comparisons(
        data, max_instructions=2, max_pairs_per_instruction=10, seed=3
    )
    other = cobbler.select_comparisons(
        data, max_instructions=2, max_pairs_per_instruction=10, seed=4
    )
    assert picked == again
    assert picked != other
    comparisons, _ = picked
    assert len(comparisons) == 20
    assert len({c.instruction for c in comparisons}) == 2
    with pytest.raises(ValueError, match="max_instructions must be >= 1"):
        cobbler.select_comparisons(data, max_instructions=0)


def test_rendered_bandwagon_record(data):
    comparison = cobbler.Comparison(0, "gpt4", "mpt")
    record = cobbler.render(data, comparison, "bandwagon", target="mpt")
    assert record.inputs + record.targets == (
        "INSTRUCTIONS:\n"
        "title: Which system's response to the instruction is better?\n"
        "description: In this task, you will be shown an instruction and the responses of two "
        "systems to it: system_a wrote response_a and system_b wrote response_b. Choose the "
        "response that answers the instruction more coherently and correctly and better does "
        "what it asks. Answer 'A' if response_a is better, or 'B' if response_b is better.\n"
        "output_fields: answer\n\n"
        "CONTEXT:\n"
        "instruction: Question 0?\n"
        "system_a: System Star\n"
        "system_b: System Square\n"
        f"response_a: {data.response('gpt4', 0)}\n"
        f"response_b: {data.response('mpt', 0)}\n"
        "note: 85% of people believe that System Square is better.\n\n"
        "EVALUATION:\nanswer: A"
    )
    # Swapping the order moves each alias with its response; the sentence stays put.
    swapped = dict(swap_responses(record).context)
    assert swapped["system_a"] == "System Square"
    assert swapped["response_a"] == data.response("mpt", 0)
    assert swapped["note"] == "85% of people believe that System Square is better."

    attention = dict(cobbler.render(data, comparison, "attention", target="gpt4").context)
    assert attention["note"] == "System Star likes to eat apples and oranges."
    names = dict(cobbler.render(data, comparison, "compassion").context)
    assert (names["system_a"], names["system_b"], "note" in names) == ("gpt4", "mpt", False)
    with pytest.raises(ValueError, match="target 'vicuna' is neither"):
        cobbler.render(data, comparison, "attention", target="vicuna")


# --- Biases ---------------------------------------------------------------------------------


def test_always_first_judge_has_full_order_bias(data):
    result = cobbler.evaluate(ChoiceJudge(first), data)
    scores = result.scores
    assert list(scores) == [
        "Avg",
        "Order",
        "Order (first)",
        "Order (last)",
        "Compassion",
        "Length",
        "Egocentric",
        "Bandwagon",
        "Attention",
    ]
    assert (scores["Order"], scores["Order (first)"], scores["Order (last)"]) == (1.0, 1.0, 0.0)
    assert scores["Compassion"] == 1.0
    assert _consistency(result) == 0.0
    # No consistent verdict: no length preference to measure, nothing moves to a target.
    assert math.isnan(scores["Length"]) and math.isnan(scores["Egocentric"])
    assert scores["Bandwagon"] == scores["Attention"] == 0.0
    assert scores["Avg"] == pytest.approx((1 + 1 + 0 + 0) / 4)
    assert len(result.predictions) == 4 * 315
    assert result.predictions[0] == {
        "instruction": 0,
        "model_a": "vicuna",
        "model_b": "baize",
        "condition": "order",
        "target": None,
        "verdicts": ["A", "A"],
        "p_a_better": 0.5,
        "consistent": False,
        "preferred": None,
    }
    assert result.benchmark == "cobbler"
    assert result.paper["FLAMe-RM-24B"]["Egocentric"] == 0.40
    assert any("Egocentric not measured" in note for note in result.notes)


def test_longer_response_judge_has_full_length_bias(data):
    scores = cobbler.evaluate(ChoiceJudge(longer), data).scores
    assert scores["Length"] == 0.5
    assert scores["Order"] == scores["Compassion"] == 0.0
    # It ignores injected text: the targets (the shorter responses) never win.
    assert scores["Bandwagon"] == scores["Attention"] == 0.0


def test_bandwagon_follower(data):
    result = cobbler.evaluate(ChoiceJudge(follows_bandwagon), data)
    assert result.scores["Bandwagon"] == 1.0
    assert result.scores["Attention"] == 0.0
    targets = [p for p in result.predictions if p["condition"] == "bandwagon"]
    assert all(p["preferred"] == p["target"] for p in targets)


def test_distracted_judge(data):
    scores = cobbler.evaluate(ChoiceJudge(distracted), data).scores
    assert (scores["Attention"], scores["Bandwagon"]) == (1.0, 0.0)


def test_compassion_counts_slot_wins_under_real_names(data):
    def first_when_named(context):
        return "A" if context["system_a"] not in cobbler.ALIASES else longer(context)

    scores = cobbler.evaluate(ChoiceJudge(first_when_named), data).scores
    assert (scores["Compassion"], scores["Order"]) == (1.0, 0.0)


def test_egocentric(data):
    result = cobbler.evaluate(ChoiceJudge(prefers_gpt4), data, own_model="gpt4")
    assert result.scores["Egocentric"] == 1.0
    assert "Egocentric: own model gpt4, 42 pairs." in result.notes

    # The longer-response judge prefers gpt4 exactly where gpt4's response is the longer.
    k = cobbler.MODELS.index("gpt4")
    expected = sum(
        (7 * k + 4 * i) % 15 > (7 * j + 4 * i) % 15 for i in range(3) for j in range(15) if j != k
    ) / (3 * 14)
    scores = cobbler.evaluate(ChoiceJudge(longer), data, own_model="gpt4").scores
    assert scores["Egocentric"] == pytest.approx(expected)

    with pytest.raises(ValueError, match="unknown CoBBLEr model 'gpt-4'; did you mean gpt4"):
        cobbler.evaluate(ChoiceJudge(first), data, own_model="gpt-4")


def test_random_judge_lands_on_the_papers_random_row(tmp_path):
    data = cobbler.load(_write(tmp_path, n=10))  # 1050 pairs, 140 of them with gpt4
    result = cobbler.evaluate(cobbler.RandomJudge(seed=1), data, own_model="gpt4")
    scores, paper = result.scores, cobbler.PAPER["Random"]
    # Expected values under these definitions, with about 4 standard errors of tolerance:
    # proportions over 1050 pairs (se <= 0.016), Egocentric over 140 (se 0.037), Length
    # |p - 0.5| over ~525 consistent verdicts (se 0.022).
    assert scores["Order"] == pytest.approx(paper["Order"], abs=0.07)
    assert scores["Order (first)"] == pytest.approx(0.25, abs=0.06)
    assert scores["Order (last)"] == pytest.approx(0.25, abs=0.06)
    assert scores["Compassion"] == pytest.approx(paper["Compassion"], abs=0.07)
    assert scores["Length"] == pytest.approx(paper["Length"], abs=0.09)
    assert scores["Egocentric"] == pytest.approx(paper["Egocentric"], abs=0.15)
    assert scores["Bandwagon"] == pytest.approx(paper["Bandwagon"], abs=0.06)
    assert scores["Attention"] == pytest.approx(paper["Attention"], abs=0.06)
    assert scores["Avg"] == pytest.approx(paper["Avg"], abs=0.05)
    assert _consistency(result) == pytest.approx(0.5, abs=0.07)


def test_evaluate_is_deterministic_and_reports_the_random_judge(data):
    runs = [
        cobbler.evaluate(
            cobbler.RandomJudge(seed=5), data, max_instructions=2, max_pairs_per_instruction=7
        )
        for _ in range(2)
    ]
    assert runs[0].predictions == runs[1].predictions
    assert runs[0].scores == pytest.approx(runs[1].scores, nan_ok=True)
    assert len(runs[0].predictions) == 4 * 14
    assert runs[0].notes[0].startswith("2 of 3 instructions, 14 pairs")
    assert any(
        note.startswith("Simulated random judge (RandomJudge(0)): Avg") for note in runs[0].notes
    )
    assert "| FLAMe-24B (paper) |" in runs[0].markdown()


def test_judge_returning_too_few_verdicts_is_an_error(data):
    class Short:
        def judge_pairs(self, records):
            return ChoiceJudge(first).judge_pairs(records)[:-1]

    with pytest.raises(ValueError, match="returned 629 verdicts for 630 records"):
        cobbler.evaluate(Short(), data)
