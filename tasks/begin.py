"""BEGIN (Dziri et al. 2022): attribution of knowledge-grounded dialogue responses.

Home: GitHub google/BEGIN-dataset, second full release (6/2022). Licenses per folder: wow/ and
cmu-dog/ CC BY 4.0, topicalchat/ Community Data License Agreement - Sharing 1.0 (see each
folder's LICENSE/NOTICE). Files: tab-separated with a header, columns `model_name` (gpt2 | t5 |
ctrl | doha), `data_source` (wow | cmu | tc), `knowledge` (the snippet the response should be
grounded in), `message` (the previous turn), `response` (the generated response),
`begin_label` (Fully attributable | Not fully attributable | Generic).

BEGIN has no training split: upstream splits it 10% dev / 90% test. Here the three dev files
(cmu-dog/begin_dev_cmu.tsv, topicalchat/begin_dev_tc.tsv, wow/begin_dev_wow.tsv) feed "train"
and the three test files (cmu-dog/begin_test_cmu.tsv, topicalchat/begin_test_tc.tsv,
wow/begin_test_wow.tsv) stay apart as "test".

Annotators judged whether all of the response's information can be attributed to the
knowledge snippet (Fully attributable), whether some of it cannot (Not fully attributable),
or whether the response shares no information to attribute, such as a bare reaction or a
question back (Generic). The upstream labels are kept as the answers. An empty `message` (rows
95 and 200 of cmu-dog/begin_dev_cmu.tsv at the pin) renders as "(none: the response opens the
conversation)". No row is skipped. Swept whole at the pin: the dev files (416, 383 and 430
rows) and wow/begin_test_wow.tsv (3,607 rows) convert without a bad row; the other two test
files are over 4 MiB and were absent from the stored snapshot.
"""

from __future__ import annotations

from flame_jax.data.readers import Row
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import GitHub, Source
from flame_jax.format import Capability, Classification, Label

SOURCE = Source(
    name="begin",
    title="BEGIN: Benchmark for Evaluation of Grounded INteraction",
    license="CC BY 4.0 (wow, cmu-dog); CDLA-Sharing-1.0 (topicalchat)",
    host=GitHub("google/BEGIN-dataset", ref="6e65f0d5a1ed1b9574643a7640ff1678d4e979b5"),
)

_FOLDERS = (("cmu-dog", "cmu"), ("topicalchat", "tc"), ("wow", "wow"))
_LABELS = ("Fully attributable", "Not fully attributable", "Generic")
_NO_MESSAGE = "(none: the response opens the conversation)"

ATTRIBUTION = Classification(
    title="Is the dialogue response fully attributable to the knowledge?",
    description=(
        "In this task, you will be shown a piece of knowledge, the previous turn of a "
        "conversation, and a response written by a dialogue system that was meant to use the "
        "knowledge. Judge whether the information the response conveys can be attributed to "
        "the knowledge: whether someone who reads the knowledge would agree that it states "
        "everything the response claims. Opinions, feelings and questions that convey no "
        "information are not facts to attribute."
    ),
    context_fields=("knowledge", "message", "response"),
    labels=(
        (
            "Fully attributable",
            "all of the information in the response is supported by the knowledge",
        ),
        (
            "Not fully attributable",
            "some information in the response is not supported by, or contradicts, the knowledge",
        ),
        (
            "Generic",
            "the response conveys no information to attribute, e.g. a bare reaction, a vague "
            "statement or a question",
        ),
    ),
)


@per_row
def _attribution(row: Row) -> Label:
    label = row.get("begin_label", str, choices=_LABELS)
    return Label(
        {
            "knowledge": row.text("knowledge"),
            "message": row.get("message", str).strip() or _NO_MESSAGE,
            "response": row.text("response"),
        },
        label=label,
    )


register(
    FlameTask(
        name="begin_attribution",
        source=SOURCE,
        capability=Capability.FACTUALITY,
        template=ATTRIBUTION,
        splits={
            split: tuple(f"{folder}/begin_{stem}_{short}.tsv" for folder, short in _FOLDERS)
            for split, stem in (("train", "dev"), ("test", "test"))
        },
        convert=_attribution,
    )
)
