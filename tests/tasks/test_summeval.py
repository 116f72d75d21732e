"""Golden tests of the SummEval pointwise tasks on rows written in the upstream (paired) schema."""

from collections import Counter

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError
from flame_jax.data.sources import Manual

FILE = "model_annotations.aligned.paired.jsonl"
ARTICLE = (
    "Paul Merson has restarted his row with Andros Townsend after the Tottenham midfielder "
    "was brought on with only seven minutes remaining."
)


def _row(decoded, experts, model_id="M11"):
    return {
        "id": "dm-test-8764fb95bfad8ee849274873a92fb8d6d400eee2",
        "model_id": model_id,
        "decoded": decoded,
        "expert_annotations": [
            dict(zip(("coherence", "consistency", "fluency", "relevance"), e, strict=True))
            for e in experts
        ],
        "turker_annotations": [],
        "references": ["Andros Townsend came on in the 83rd minute."],
        "filepath": "cnndm/dailymail/stories/8764fb95bfad8ee849274873a92fb8d6d400eee2.story",
        "text": ARTICLE,
    }


ROWS = [
    # coherence 2,3,2 -> 2.33 -> 2; consistency 5; fluency 4,5,5 -> 4.67 -> 5; relevance 2
    _row(
        "paul merson was brought on with only seven minutes remaining .",
        [(2, 5, 4, 2), (3, 5, 5, 3), (2, 5, 5, 2)],
    ),
    # coherence 4,4,5 -> 4; consistency 1,2,1 -> 1; fluency 3,3,4 -> 3; relevance 3,4,4 -> 4
    _row(
        "Andros Townsend scored for Tottenham.",
        [(4, 1, 3, 3), (4, 2, 3.0, 4), (5, 1, 4, 4)],
        model_id="M23",
    ),
]

HEAD = (
    "INSTRUCTIONS:\n"
    "title: {title}\n"
    "description: In this task, you will be shown a news article and a summary of it written "
    "by a system. "
)
TAIL = (
    "\noutput_fields: score\n\n"
    "CONTEXT:\n"
    f"article: {ARTICLE}\n"
    "summary: paul merson was brought on with only seven minutes remaining .\n\n"
    "EVALUATION:\n"
    "score: {score}"
)

GOLDEN = {
    "coherence": HEAD.format(title="How coherent is the summary?")
    + "Rate the summary's coherence: the collective quality of all its sentences. A coherent "
    "summary is well structured and well organized; it is not a heap of related information "
    "but builds from sentence to sentence into a coherent body of information about a topic. "
    "Give a score from 1 to 5: 1 = incoherent: unrelated sentences with no structure; 2 = poorly "
    "organized: hard to follow as a whole; 3 = partly coherent: some sentences connect, others "
    "feel out of place; 4 = mostly coherent, with minor lapses in structure; 5 = fully "
    "coherent: a well-organized, logically ordered body of information." + TAIL.format(score=2),
    "consistency": HEAD.format(title="Is the summary consistent with the article?")
    + "Rate the summary's consistency: its factual alignment with the article. A consistent "
    "summary contains only statements that are entailed by the article; penalize hallucinated "
    "facts, i.e. statements that the article does not support or that contradict it. Give a "
    "score from 1 to 5: 1 = mostly unsupported or contradicted by the article; 2 = several "
    "statements are unsupported or wrong; 3 = some statements are unsupported or wrong; 4 = "
    "nearly all statements are supported, with one minor inconsistency; 5 = every statement is "
    "supported by the article." + TAIL.format(score=5),
    "fluency": HEAD.format(title="How fluent is the summary?")
    + "Rate the summary's fluency: the quality of its individual sentences. Sentences should "
    "have no formatting problems, capitalization errors or obviously ungrammatical "
    "constructions (fragments, missing components) that make the text hard to read. Give a "
    "score from 1 to 5: 1 = unreadable: most sentences are ungrammatical or broken; 2 = many "
    "errors that make the text hard to read; 3 = some errors, but the text is readable; 4 = "
    "minor errors that barely affect reading; 5 = fluent: well-formed sentences with no errors."
    + TAIL.format(score=5),
    "relevance": HEAD.format(title="How relevant is the summary?")
    + "Rate the summary's relevance: how well it selects the important content of the "
    "article. The summary should include only the important information of the article; "
    "penalize redundancy and excess information. Give a score from 1 to 5: 1 = misses the "
    "article's main points entirely; 2 = covers few important points, or mostly unimportant or "
    "repeated content; 3 = covers some important points, with notable omissions or excess "
    "content; 4 = covers most important points, with little redundancy; 5 = covers the "
    "important information and nothing superfluous." + TAIL.format(score=2),
}
SECOND_SCORES = {"coherence": "4", "consistency": "1", "fluency": "3", "relevance": "4"}


@pytest.mark.parametrize("dimension", sorted(GOLDEN))
def test_golden_counts_and_scores(tmp_path, dimension):
    root = testing.write_rows(tmp_path, "summeval", FILE, ROWS)
    records = testing.render(f"summeval_{dimension}", "train", root)
    assert len(records) == 2
    assert testing.text(records[0]) == GOLDEN[dimension]
    assert records[1].answer == SECOND_SCORES[dimension]
    assert Counter(r.answer for r in records) == Counter(
        [GOLDEN[dimension][-1], SECOND_SCORES[dimension]]
    )
    assert testing.skipped(f"summeval_{dimension}", "train", root) == {}
    task = registry.get_task(f"summeval_{dimension}")
    assert task.is_training and task.capability == "quality"


def test_source_is_manual_with_pairing_steps():
    host = registry.get_task("summeval_coherence").source.host
    assert isinstance(host, Manual)
    assert "pair_data.py" in host.steps and FILE in host.steps


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (_row("a summary .", [(6, 5, 5, 5)] * 3), "expert_annotations.0.coherence", "6 is not"),
        (_row("a summary .", [(5, 5, 5, 5)] * 2), "expert_annotations", "2 experts, expected 3"),
        (_row("", [(5, 5, 5, 5)] * 3), "decoded", "empty text"),
        (
            {k: v for k, v in _row("a summary .", [(5, 5, 5, 5)] * 3).items() if k != "text"},
            "text",
            "missing",
        ),
        (
            _row("a summary .", [(5, "5", 5, 5)] * 3),
            "expert_annotations.0.consistency",
            "expected int/float, got str",
        ),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, row, field, message):
    root = testing.write_rows(tmp_path, "summeval", FILE, [ROWS[0], row])
    task = "summeval_consistency" if "consistency" in field else "summeval_coherence"
    with pytest.raises(DataError, match=rf"file {FILE}, row 2, field '{field}': {message}"):
        testing.render(task, "train", root)
