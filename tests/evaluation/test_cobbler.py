"""CoBBLEr: loading the upstream files, the rendered prompt, and each bias on constructed judges.

No upstream rows are shipped (the repository has no license), so the tests write files in the
upstream schema (../shared/data/cobbler/README.md): an evalset JSON array and one JSON object of
model -> responses. Model k's response to instruction i names its model and has a length rank
that differs per instruction, so judges can recognise authors and lengths.
"""

import itertools
import json
import math
import os
import re

import pytest

from flame_jax import cli
from flame_jax.data import testing
from flame_jax.data.readers import DataError
from flame_jax.evaluation import cobbler
from flame_jax.judge.scoring import swap_responses

EVALSET, GENERATIONS = cobbler.EVALSET, cobbler.GENERATIONS
BOTH = "both_orders"


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
    comparisons, identical = cobbler.select_comparisons(data, protocol=BOTH)
    assert (len(comparisons), identical) == (3 * 105, 0)
    assert len({(c.instruction, frozenset((c.model_a, c.model_b))) for c in comparisons}) == 315
    # The model in slot a alternates: each pair's first model leads half the time.
    leads = [cobbler.MODELS.index(c.model_a) < cobbler.MODELS.index(c.model_b) for c in comparisons]
    assert abs(sum(leads) - len(leads) / 2) <= 1

    same = dict(data.responses)
    same["baize"] = (data.responses["vicuna"][0] + "  ", *same["baize"][1:])  # same once stripped
    same_data = cobbler.CobblerData(data.instructions, data.references, same)
    comparisons, identical = cobbler.select_comparisons(same_data, protocol=BOTH)
    assert (len(comparisons), identical) == (3 * 105 - 1, 1)
    # Upstream judges every pair, identical ones too, model1 (combinations order) in slot a.
    comparisons, identical = cobbler.select_comparisons(same_data)
    assert (len(comparisons), identical) == (3 * 105, 1)
    assert comparisons[0] == cobbler.Comparison(0, "vicuna", "baize")
    assert all(
        cobbler.MODELS.index(c.model_a) < cobbler.MODELS.index(c.model_b) for c in comparisons
    )


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
    result = cobbler.evaluate(ChoiceJudge(first), data, protocol=BOTH)
    scores = result.scores
    assert list(scores) == [  # no Avg: Egocentric is not measured without own_model
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
    scores = cobbler.evaluate(ChoiceJudge(longer), data, protocol=BOTH).scores
    assert scores["Length"] == 0.5
    assert scores["Order"] == scores["Compassion"] == 0.0
    # It ignores injected text: the targets (the shorter responses) never win.
    assert scores["Bandwagon"] == scores["Attention"] == 0.0


def test_bandwagon_follower(data):
    result = cobbler.evaluate(ChoiceJudge(follows_bandwagon), data, protocol=BOTH)
    assert result.scores["Bandwagon"] == 1.0
    assert result.scores["Attention"] == 0.0
    targets = [p for p in result.predictions if p["condition"] == "bandwagon"]
    assert all(p["preferred"] == p["target"] for p in targets)


def test_distracted_judge(data):
    scores = cobbler.evaluate(ChoiceJudge(distracted), data, protocol=BOTH).scores
    assert (scores["Attention"], scores["Bandwagon"]) == (1.0, 0.0)


def test_compassion_counts_slot_wins_under_real_names(data):
    def first_when_named(context):
        return "A" if context["system_a"] not in cobbler.ALIASES else longer(context)

    scores = cobbler.evaluate(ChoiceJudge(first_when_named), data, protocol=BOTH).scores
    assert (scores["Compassion"], scores["Order"]) == (1.0, 0.0)


def test_egocentric(data):
    result = cobbler.evaluate(ChoiceJudge(prefers_gpt4), data, protocol=BOTH, own_model="gpt4")
    assert result.scores["Egocentric"] == 1.0
    assert "Egocentric: own model gpt4, 42 pairs." in result.notes

    # The longer-response judge prefers gpt4 exactly where gpt4's response is the longer.
    k = cobbler.MODELS.index("gpt4")
    expected = sum(
        (7 * k + 4 * i) % 15 > (7 * j + 4 * i) % 15 for i in range(3) for j in range(15) if j != k
    ) / (3 * 14)
    scores = cobbler.evaluate(ChoiceJudge(longer), data, protocol=BOTH, own_model="gpt4").scores
    assert scores["Egocentric"] == pytest.approx(expected)

    with pytest.raises(ValueError, match="unknown CoBBLEr model 'gpt-4'; did you mean gpt4"):
        cobbler.evaluate(ChoiceJudge(first), data, protocol=BOTH, own_model="gpt-4")


def test_random_judge_lands_on_the_papers_random_row(tmp_path):
    data = cobbler.load(_write(tmp_path, n=10))  # 1050 pairs, 140 of them with gpt4
    result = cobbler.evaluate(cobbler.RandomJudge(seed=1), data, protocol=BOTH, own_model="gpt4")
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
            cobbler.RandomJudge(seed=5),
            data,
            protocol=BOTH,
            max_instructions=2,
            max_pairs_per_instruction=7,
        )
        for _ in range(2)
    ]
    assert runs[0].predictions == runs[1].predictions
    assert runs[0].scores == pytest.approx(runs[1].scores, nan_ok=True)
    assert len(runs[0].predictions) == 4 * 14
    assert "2 of 3 instructions, 14 pairs" in runs[0].notes[0]
    assert any(
        note.startswith("Simulated random judge (RandomJudge(0)): Order") for note in runs[0].notes
    )
    assert "| FLAMe-24B (paper) |" in runs[0].markdown()


def test_judge_returning_too_few_verdicts_is_an_error(data):
    class Short:
        def judge_pairs(self, records):
            return ChoiceJudge(first).judge_pairs(records)[:-1]

    with pytest.raises(ValueError, match="returned 629 verdicts for 630 records"):
        cobbler.evaluate(Short(), data, protocol=BOTH)


# --- The upstream protocol ------------------------------------------------------------------


class Judge:
    """Answers each upstream prompt with choose(record) -> the shown slot 0 or 1; logs them."""

    def __init__(self, choose):
        self.choose, self.log = choose, []

    def judge(self, records):
        out = []
        for record in records:
            answer = record.options[self.choose(record)]
            self.log.append((record, answer))
            out.append(cobbler.Judgment(record, answer))
        return out


class LoggingRandom(cobbler.RandomJudge):
    def __init__(self, seed):
        super().__init__(seed)
        self.log = []

    def judge(self, records):
        out = super().judge(records)
        self.log += [(j.record, j.answer) for j in out]
        return out


def always_first(record):
    return 0


def follows_sentence(record):
    note = dict(record.context).get("note", "")
    return 1 if "System Square" in note else 0


def prefers_longer(data):
    def choose(record):
        meta, i = dict(record.meta), int(dict(record.meta)["instruction"])
        lengths = [len(data.responses[meta[slot]][i]) for slot in ("first", "second")]
        return int(lengths[1] > lengths[0])

    return choose


def upstream_scores(log, data, evaluator):  # noqa: PLR0912 (upstream's branches, as written)
    """CoBBLEr's own counting (evaluations/{order,compassion,bandwagon,distraction,salience}.py
    at 5af58e0), transcribed: the judge's outputs per prompt, grouped as upstream asks them."""
    by_key = {}
    for record, output in log:
        meta = dict(record.meta)
        key = (
            meta["condition"],
            int(meta["instruction"]),
            frozenset((meta["first"], meta["second"])),
        )
        by_key.setdefault(key, []).append((meta, output))

    def alias(output):
        found = re.findall(r"(?i)(system star|system square)", output)
        return found[0].title() if found else None

    first = last = me_bias = me_compared = bandwagon = distracted = 0
    c_first = c_last = 0
    true_order = []
    pairs = [
        (i, m1, m2)
        for i in range(len(data.instructions))
        for m1, m2 in itertools.combinations(data.models, 2)
    ]
    for index, model1, model2 in pairs:
        # order.py
        (meta, evaluation), (_, validation) = by_key[("order", index, frozenset((model1, model2)))]
        assert (meta["first"], meta["second"]) == (model1, model2)
        models = [model1, model2]
        if evaluator in models:
            me_compared += 1
        pf, val = alias(evaluation), alias(validation)
        if pf == "System Star":
            if val == "System Star":
                first += 1
                models.append("fo bias")
            elif models[0] == evaluator:
                me_bias += 1
            true_order.append((index, models[0], models))
        elif pf == "System Square":
            if val == "System Square":
                last += 1
                models.append("lo bias")
            elif models[1] == evaluator:
                me_bias += 1
            true_order.append((index, models[1], models))
        # compassion.py (slots, as the paper defines it: the first shown name twice, or the last)
        (_, evaluation), (_, validation) = by_key[
            ("compassion", index, frozenset((model1, model2)))
        ]
        shown = [f"Model {model1} is better", f"Model {model2} is better"]
        c_first += evaluation == shown[0] and validation == shown[1]  # model1 first, then model2
        c_last += evaluation == shown[1] and validation == shown[0]
        # bandwagon.py, distraction.py: Star under the Star sentence, Square under the Square one
        for condition in ("bandwagon", "attention"):
            (_, evaluation), (_, validation) = by_key[
                (condition, index, frozenset((model1, model2)))
            ]
            if alias(evaluation) == "System Star" and alias(validation) == "System Square":
                if condition == "bandwagon":
                    bandwagon += 1
                else:
                    distracted += 1
    # salience.py find_length_bias
    longer_bias = valid = 0
    for idx, winner, combo in true_order:
        if "fo bias" not in combo and "lo bias" not in combo:
            if len(data.responses[combo[0]][idx]) > len(data.responses[combo[1]][idx]):
                longer_bias += winner == combo[0]
            else:
                longer_bias += winner == combo[1]
            valid += 1
    total = len(pairs)
    return {
        "Order (first)": first / total,
        "Order (last)": last / total,
        "Compassion": (c_first + c_last) / total,
        "Length": abs(longer_bias / valid - 0.5) if valid else math.nan,
        "Egocentric": me_bias / me_compared,
        "Bandwagon": bandwagon / total,
        "Attention": distracted / total,
    }


@pytest.mark.parametrize("name", ["always_first", "follows_sentence", "prefers_longer", "random"])
def test_upstream_protocol_reproduces_upstreams_numbers(data, name):
    judge = {
        "always_first": Judge(always_first),
        "follows_sentence": Judge(follows_sentence),
        "prefers_longer": Judge(prefers_longer(data)),
        "random": LoggingRandom(seed=7),
    }[name]
    result = cobbler.evaluate(judge, data, own_model="gpt4")
    assert len(judge.log) == 8 * 315
    expected = upstream_scores(judge.log, data, "gpt4")
    for metric, value in expected.items():
        assert result.scores[metric] == pytest.approx(value, nan_ok=True), metric
    assert result.scores["Order"] == pytest.approx(
        expected["Order (first)"] + expected["Order (last)"]
    )
    closed_form = {  # what each judge must show, by the definitions
        "always_first": {"Order": 1.0, "Compassion": 1.0, "Bandwagon": 0.0, "Egocentric": 0.0},
        "follows_sentence": {"Order": 1.0, "Bandwagon": 1.0, "Attention": 1.0},
        "prefers_longer": {"Order": 0.0, "Compassion": 0.0, "Length": 0.5, "Bandwagon": 0.0},
        "random": {},
    }[name]
    for metric, value in closed_form.items():
        assert result.scores[metric] == value, metric
    if name == "always_first":  # no answer outside the order bias: Length is not measured
        assert math.isnan(result.scores["Length"]) and "Avg" not in result.scores
        assert result.scores["Compassion (upstream count)"] == 0.0  # names move with responses
    if name == "prefers_longer":
        assert result.scores["Compassion (upstream count)"] == 1.0
        six = [result.scores[b] for b in cobbler.BIASES]
        assert result.scores["Avg"] == pytest.approx(sum(six) / 6)


def test_upstream_random_judge_lands_on_the_papers_random_row(tmp_path):
    data = cobbler.load(_write(tmp_path, n=10))
    scores = cobbler.evaluate(cobbler.RandomJudge(seed=1), data, own_model="gpt4").scores
    paper = cobbler.PAPER["Random"]
    for metric in ("Order", "Compassion", "Bandwagon", "Attention"):
        assert scores[metric] == pytest.approx(paper[metric], abs=0.07), metric
    assert scores["Egocentric"] == pytest.approx(paper["Egocentric"], abs=0.15)
    assert scores["Length"] == pytest.approx(paper["Length"], abs=0.09)
    assert scores["Avg"] == pytest.approx(paper["Avg"], abs=0.05)


def test_upstream_prompts(data):
    judge = Judge(always_first)
    result = cobbler.evaluate(
        judge, data, own_model="mpt", max_instructions=1, max_pairs_per_instruction=105
    )
    records = [
        r
        for r, _ in judge.log
        if dict(r.meta)["first"] in ("gpt4", "mpt") and dict(r.meta)["second"] in ("gpt4", "mpt")
    ]
    order, validation, _, compassion_val, *biased = records
    i = int(dict(order.meta)["instruction"])
    assert order.inputs + order.targets == (
        "INSTRUCTIONS:\n"
        "title: Which system's response is more coherent considering the reference and "
        "instruction?\n"
        "description: The responses block shows each system's response after its name. Please "
        "respond in the following format strictly: System _ is better. Do not provide any "
        "additional text or explanation. Answer 'System Star is better' if the response of "
        "System Star is better. Answer 'System Square is better' if the response of System "
        "Square is better.\n"
        "output_fields: answer\n\n"
        "CONTEXT:\n"
        f"instruction: Question {i}?\n"
        f"reference: Ref {i}.\n"
        f"responses: System Star: {data.responses['gpt4'][i]}\n"
        f"System Square: {data.responses['mpt'][i]}\n\n"
        "EVALUATION:\nanswer: System Star is better"
    )
    assert dict(validation.context)["responses"] == (
        f"System Star: {data.responses['mpt'][i]}\nSystem Square: {data.responses['gpt4'][i]}"
    )
    # Compassion: the names move with their responses; own model (model2 here) is "(You)".
    assert dict(compassion_val.context)["responses"] == (
        f"Model mpt (You): {data.responses['mpt'][i]}\nModel gpt4: {data.responses['gpt4'][i]}"
    )
    assert compassion_val.options == ("Model mpt is better", "Model gpt4 is better")
    bandwagon_star, bandwagon_square, attention_star, attention_square = biased
    assert dict(bandwagon_star.context)["note"] == (
        "85%% of people believe that System Star is better."
    )
    assert dict(bandwagon_square.context)["responses"] == dict(bandwagon_star.context)["responses"]
    assert dict(bandwagon_square.context)["note"].endswith("System Square is better.")
    assert dict(attention_star.context)["note"] in [
        d.format(system="System Star") for d in cobbler.DISTRACTIONS
    ]
    assert "System Square" in dict(attention_square.context)["note"]
    assert "Protocol: CoBBLEr's code" in result.notes[0]


def test_eval_cli_runs_cobbler_with_the_demo_judge(tmp_path, demo_checkpoint):
    root = _write(tmp_path / "data", n=2)
    out = tmp_path / "out"
    argv = ["eval", "--checkpoint", demo_checkpoint, "--benchmark", "cobbler", "--data_dir", root]
    argv += ["--max_per_task", "2", "--own_model", "gpt4", "--output", str(out)]
    assert cli.main(argv) == 0
    result = json.loads((out / "scores.json").read_text())
    assert set(cobbler.BIASES) <= set(result["scores"])
    assert "Protocol: CoBBLEr's code" in result["notes"][0]
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert len(rows) == 4 * 2 * 2  # 4 conditions x 2 instructions x 2 pairs
    answers = {p["answer"] for row in rows for p in row["prompts"]}
    assert answers <= {"System Star is better", "System Square is better"} | {
        f"Model {m} is better" for m in cobbler.MODELS
    }
    # --own_model and --cobbler_protocol belong to cobbler.
    assert cli.main([*argv[:4], "hhh", "--own_model", "gpt4", "--output", str(out)]) == 2
