"""Stanford Human Preferences (SHP; Ethayarajh et al. 2022): which Reddit comment is preferred.

Home: HF stanfordnlp/SHP (Reddit content; research use under Reddit's API terms). Files: one
folder per subreddit, <domain>/{train,validation,test}.json (JSON lines despite the name),
for the 18 domains in DOMAINS. Each row has `history` (the post: a question or request for
help), `human_ref_A` and `human_ref_B` (two top-level comments on it) and `labels` (1 = A
preferred, 0 = B preferred), plus metadata (`score_A/B`, `score_ratio`, `upvote_ratio`, ...).

The preference is collective: comment A is preferred when it got more upvotes although it
was written after B, so its higher score is not an artefact of visibility. All pairs are
kept (no score-ratio filter); pairs of two identical comments are skipped (`identical`).
"""

from __future__ import annotations

from flame_jax.data.readers import Row, SkipRow
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.format import Capability, Pair, Pairwise

SOURCE = Source(
    name="shp",
    title="Stanford Human Preferences (SHP)",
    license="Reddit API terms (research use)",
    host=HuggingFace("stanfordnlp/SHP"),
)

DOMAINS = (
    "askacademia",
    "askanthropology",
    "askbaking",
    "askcarguys",
    "askculinary",
    "askdocs",
    "askengineers",
    "askhistorians",
    "askhr",
    "askphilosophy",
    "askphysics",
    "askscience",
    "asksciencefiction",
    "asksocialscience",
    "askvet",
    "changemyview",
    "explainlikeimfive",
    "legaladvice",
)

TEMPLATE = Pairwise(
    title="Which comment is more helpful?",
    description=(
        "In this task, you will be shown a post from a Reddit forum, usually a question or a "
        "request for help or advice, and two comments written in reply to it. Choose the "
        "comment that the forum's readers found more helpful: the one that better answers the "
        "post, with accurate, relevant and useful content."
    ),
    context_fields=("subreddit", "post"),
    response_field="comment",
)


def _pair(row: Row) -> Pair:
    post = row.text("history").strip()
    first = row.text("human_ref_A").strip()
    second = row.text("human_ref_B").strip()
    label = row.get("labels", int, choices=(0, 1))
    if first == second:
        raise SkipRow("identical")
    better, worse = (first, second) if label == 1 else (second, first)
    subreddit = row.file.split("/", 1)[0]  # the domain folder the row was read from
    return Pair({"subreddit": f"r/{subreddit}", "post": post}, better=better, worse=worse)


register(
    FlameTask(
        name="shp_preference",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=TEMPLATE,
        splits={
            split: tuple(f"{domain}/{split}.json" for domain in DOMAINS)
            for split in ("train", "validation", "test")
        },
        convert=per_row(_pair),
        skips={"identical": "the two comments are the same text"},
    )
)
