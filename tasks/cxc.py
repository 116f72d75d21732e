"""Crisscrossed Captions (Parekh et al. 2021): human 0-5 semantic similarity of MS-COCO captions.

Paper: "Crisscrossed Captions: Extended Intramodal and Intermodal Semantic Similarity Judgments
for MS-COCO" (EACL 2021). CxC adds 247K human ratings to the MS-COCO dev and test images of the
Karpathy split: caption-caption (STS), image-image (SIS) and caption-image (SITS) similarity.
The STS ratings follow the Semantic Textual Similarity guidelines (Agirre et al. 2012): 0 (on
different topics) to 5 (completely equivalent). FLAMe Table 7: Factuality, Pointwise. Only the
text-only STS part is used (SIS and SITS need the images).

Home: GitHub google-research-datasets/Crisscrossed-Captions (README and setup.py at commit
9a1574a57f72b1c2063a1b81eae7f55010b6e5e6; data files at 7d6634be173a6f6a16ab1e61bebc217de8444513).
License: the repository's LICENSE at 7d6634b says the dataset "may be freely used for any
purpose", acknowledgement of Google LLC as the data source appreciated, provided as is.
Files: data/sts_val.csv and data/sts_test.csv with `caption1`, `caption2` (MS-COCO caption ids
such as "COCO_val2014:sentid:190268"), `agg_score` (the raters' mean, 0-5, two decimals) and
`sampling_method` (c2c_cocaption: captions of the same image; c2c_isim: captions of different
images chosen by image similarity). At 7d6634b the two files have 44,009 and 44,045 rows, every
score within 0-5 and every caption id ending in a numeric sentid. The caption texts are not in
these files: as the repository's setup.py does, the number after the last ":" is the `sentid` of
Karpathy's MS-COCO split file dataset_coco.json
(https://cs.stanford.edu/people/karpathy/deepimagesent/ caption_datasets.zip; one JSON object
{"images": [{"split", "filename", "sentids", "sentences": [{"raw", "sentid", "tokens",
"imgid"}], ...}], "dataset": "coco"}), whose `raw` text is used (stripped).

The two files live on different hosts and a source has one, so the source is Manual: the user
puts the two CSVs and dataset_coco.json into DATA_DIR/cxc/ (steps below). dataset_coco.json is
read as one row holding its whole object. Every split reads it first, then its CSV.

Task cxc_sts (pointwise, factuality): how similar in meaning the two captions are, the mean
rounded half up to the 0-5 scale (as glue_stsb). CxC has no train split: its val file feeds
"train" and its test file stays "test". A caption id with no caption in dataset_coco.json, a
malformed id or a score outside 0-5 is an error.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from flame_jax.data.readers import Row
from flame_jax.data.registry import FlameTask, register
from flame_jax.data.sources import Manual, Source
from flame_jax.format import Capability, Pointwise, Rating

_COMMIT = "7d6634be173a6f6a16ab1e61bebc217de8444513"
_CSV_URL = (
    f"https://raw.githubusercontent.com/google-research-datasets/Crisscrossed-Captions/{_COMMIT}"
    "/data"
)
KARPATHY = "dataset_coco.json"

SOURCE = Source(
    name="cxc",
    title="Crisscrossed Captions (CxC)",
    license=(
        "free for any purpose (LICENSE at 7d6634b; acknowledgement of Google LLC appreciated); "
        "captions from MS-COCO (CC BY 4.0)"
    ),
    host=Manual(
        steps=(
            f"Put three files into DATA_DIR/cxc/: (1) {_CSV_URL}/sts_val.csv and "
            f"(2) {_CSV_URL}/sts_test.csv, under those names; (3) {KARPATHY} from "
            "https://cs.stanford.edu/people/karpathy/deepimagesent/caption_datasets.zip "
            f"(unzip it and copy {KARPATHY}, which holds the caption texts)."
        ),
        home="https://github.com/google-research-datasets/Crisscrossed-Captions",
    ),
    notes="The CxC CSVs hold caption ids only; texts come from Karpathy's dataset_coco.json.",
)

STS = Pointwise(
    title="How similar in meaning are these two image captions?",
    description=(
        "In this task, you will be shown two captions, each written by a person to describe a "
        "photograph. Rate how similar their meanings are: whether they describe the same scene "
        "with the same objects, people and actions, and how much of the important information "
        "the two share."
    ),
    context_fields=("caption1", "caption2"),
    scale=(
        ("0", "the captions are on different topics"),
        ("1", "the captions are not equivalent, but are on the same topic"),
        ("2", "the captions are not equivalent, but share some details"),
        ("3", "the captions are roughly equivalent, but some important information differs"),
        ("4", "the captions are mostly equivalent, and only unimportant details differ"),
        ("5", "the captions are completely equivalent: they mean the same thing"),
    ),
)


def _captions(row: Row) -> dict[int, str]:
    """sentid -> raw caption text, from the Karpathy file's row."""
    texts: dict[int, str] = {}
    images = row.get("images", list)
    for i, image in enumerate(images):
        if not isinstance(image, dict):
            raise row.error(f"images.{i}", "expected an object")
        for k, sentence in enumerate(image.get("sentences") or []):
            sentid, raw = sentence.get("sentid"), sentence.get("raw")
            if not isinstance(sentid, int) or not isinstance(raw, str):
                raise row.error(f"images.{i}.sentences.{k}", "expected an int sentid and raw text")
            texts[sentid] = raw.strip()
    return texts


def _caption(row: Row, field: str, texts: dict[int, str]) -> str:
    value = row.text(field)
    try:
        sentid = int(value.rsplit(":", 1)[-1])
    except ValueError as e:
        raise row.error(field, f"{value!r:.60} is not a COCO caption id (...:sentid:N)") from e
    text = texts.get(sentid)
    if not text:
        raise row.error(field, f"no caption with sentid {sentid} in {KARPATHY}")
    return text


def _ratings(rows: Iterator[Row]) -> Iterator[Rating]:
    texts: dict[int, str] = {}
    for row in rows:
        if row.file == KARPATHY:
            texts.update(_captions(row))
            continue
        try:
            score = float(row.text("agg_score"))
        except ValueError as e:
            raise row.error("agg_score", f"{row.data['agg_score']!r:.40} is not a number") from e
        if not 0.0 <= score <= 5.0:
            raise row.error("agg_score", f"{score} is outside the 0-5 STS scale")
        yield Rating(
            {
                "caption1": _caption(row, "caption1", texts),
                "caption2": _caption(row, "caption2", texts),
            },
            score=str(math.floor(score + 0.5)),  # round half up
        )


register(
    FlameTask(
        name="cxc_sts",
        source=SOURCE,
        capability=Capability.FACTUALITY,
        template=STS,
        splits={"train": (KARPATHY, "sts_val.csv"), "test": (KARPATHY, "sts_test.csv")},
        convert=_ratings,
    )
)
