"""MultiPIT (Dou, Jiang and Xu, EMNLP 2022): multi-topic paraphrase identification in Twitter.

MultiPIT pairs sentences from tweets on the same trending topic or linking the same news URL
(8 topics: sports, entertainment, events, science/tech, health, politics, finance, others) and
labels whether they are paraphrases, under two definitions:
- MultiPIT_crowd (92,217 train / 11,527 dev / 11,530 test pairs; crowd workers): a loose
  definition meant for tracking information on Twitter: two sentences are paraphrases when they
  report the same event or claim, even if one adds details ("A tsunami hit Haiti." and "303
  people died because of the tsunami in Haiti" count as paraphrases).
- MultiPIT_expert (4,458 / 555 / 557 pairs; expert annotators): a strict definition meant for
  paraphrase generation: the two sentences must mean the same, and information present in only
  one of them (such as "303 people died") makes the pair a non-paraphrase.
FLAMe (Table 7, factuality) uses MultiPIT for classification; both sets are kept, as two tasks
with their own definitions.

Home: the authors' project page https://yao-dou.github.io/multipit/ (GitHub Yao-Dou/multipit,
pinned at its HEAD fdafc4516f19 of 2025-03-17, which holds data/multipit_expert.zip and
data/multipit_crowd.zip beside multipit_auto.zip and multipit_nmr.zip). License: none stated
(the repository has no license file; the sentences are tweets under X/Twitter's terms):
research use only.

Files (under DATA_DIR/multipit/, as the zips unpack): multipit_expert/{train,val,test}.csv,
read from multipit_expert.zip at the pin: comma-separated with the header `sentence1,
sentence2,label` (1 = paraphrase, 0 = not), 4,458 / 555 / 557 rows, none bad. The crowd zip is
over 4 MiB and was absent from the stored snapshot, so its members are unconfirmed: they are
taken to follow the expert zip (multipit_crowd/{train,val,test}.csv); rename them to these
names if the archive names them otherwise.

Tasks (classification, factuality): multipit_crowd and multipit_expert, label 1 -> Yes,
0 -> No; splits train, validation (val.csv) and test. No row is skipped: another label or an
empty sentence is an error.
"""

from __future__ import annotations

from flame_jax.data.readers import Row
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import Manual, Source
from flame_jax.format import Capability, Classification, Label

_HOME = "https://yao-dou.github.io/multipit/"
_ZIPS = "https://github.com/Yao-Dou/multipit/raw/fdafc4516f19de0be0355d5705612429a7aa3bdf/data"

SOURCE = Source(
    name="multipit",
    title="MultiPIT: Multi-Topic Paraphrase in Twitter",
    license="unspecified (tweets; X/Twitter terms, research use)",
    host=Manual(
        steps=(
            f"1. Download {_ZIPS}/multipit_crowd.zip and {_ZIPS}/multipit_expert.zip (the "
            f"DATA links of {_HOME}). 2. Unzip both into DATA_DIR/multipit/ so that it holds "
            "multipit_crowd/{train,val,test}.csv and multipit_expert/{train,val,test}.csv "
            "(rename the crowd files to these names if that archive names them differently)."
        ),
        home=_HOME,
    ),
    notes="Two zip archives on the authors' GitHub Pages site; fetched by hand.",
)

_INTRO = (
    "In this task, you will be shown two sentences taken from tweets about the same trending "
    "topic or news story."
)

CROWD = Classification(
    title="Do the two tweets report the same information?",
    description=(
        f"{_INTRO} Judge whether they are paraphrases in the sense used to track information "
        "on Twitter: they are paraphrases if they convey the same main information, the same "
        "event, fact or claim, even when one of them adds some details or phrases it "
        "differently. They are not paraphrases if they talk about different events or "
        "aspects of the topic, or if they make different or contradicting claims."
    ),
    context_fields=("sentence1", "sentence2"),
    labels=(
        ("Yes", "the two sentences convey the same main information"),
        ("No", "the two sentences convey different information"),
    ),
)

EXPERT = Classification(
    title="Are the two tweets strict paraphrases of each other?",
    description=(
        f"{_INTRO} Judge whether they are paraphrases in the strict sense: they must have the "
        "same meaning, so that each could replace the other. If either sentence contains "
        "information that the other does not, such as an added number, name, place, cause or "
        "opinion, they are not paraphrases, even if they are about the same event."
    ),
    context_fields=("sentence1", "sentence2"),
    labels=(
        ("Yes", "the two sentences have the same meaning, with no information in only one"),
        ("No", "the meanings differ, or one sentence has information the other lacks"),
    ),
)


@per_row
def _label(row: Row) -> Label:
    label = row.get("label", str, choices=("0", "1"))
    return Label(
        {"sentence1": row.text("sentence1").strip(), "sentence2": row.text("sentence2").strip()},
        label="Yes" if label == "1" else "No",
    )


for _subset, _template in (("crowd", CROWD), ("expert", EXPERT)):
    register(
        FlameTask(
            name=f"multipit_{_subset}",
            source=SOURCE,
            capability=Capability.FACTUALITY,
            template=_template,
            splits={
                split: (f"multipit_{_subset}/{stem}.csv",)
                for split, stem in (("train", "train"), ("validation", "val"), ("test", "test"))
            },
            convert=_label,
        )
    )
