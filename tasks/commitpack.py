"""CommitPackFT (Muennighoff et al. 2023, OctoPack): code changes with instruction-like messages.

Home: HF bigcode/commitpackft (MIT; each row also names the license of its repository). Files:
data/<language>/data.jsonl, one commit (one changed file) per line with commit, old_file,
new_file, old_contents, new_contents, subject, message, lang, license, repos. FLAMe restricts
its coding tasks to Python, JavaScript, Java, C++, Go and Rust: the six folders python,
javascript, java, c++, go, rust (the folder names are the HF config names; the `c++` folder name
is inferred from the config name, not seen in a file listing).

commitpack_pairwise (coding): given the commit message and the file's language and path, which
of two versions of the file correctly applies the change: `new_contents` (after the commit:
correct) or `old_contents` (before the commit: the change not made, the unfixed version). The
old code is deliberately NOT shown in the context: one of the two candidates is the old code
itself, so showing it would let a judge answer by spotting the copy instead of reading the
change. CommitPackFT has a single (train) split.

Skips: commits whose file is created (empty old contents) or deleted (empty new contents) have
no second version to compare; commits that leave the contents identical up to trailing
whitespace (a mode change, a rename, a final newline) carry no change to judge. Trailing
whitespace is stripped from both versions.
"""

from __future__ import annotations

from flame_jax.data.readers import Row, SkipRow
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.format import Capability, Pair, Pairwise

SOURCE = Source(
    name="commitpack",
    title="CommitPackFT",
    license="MIT",
    host=HuggingFace("bigcode/commitpackft"),
    notes="Rows keep the license of their source repository in the `license` field.",
)

# Folder in the HF repository -> the language as written in the context.
LANGUAGES = {
    "python": "Python",
    "javascript": "JavaScript",
    "java": "Java",
    "c++": "C++",
    "go": "Go",
    "rust": "Rust",
}
FILES = {f"data/{folder}/data.jsonl": name for folder, name in LANGUAGES.items()}

SKIPS = {
    "new_file": "the commit creates the file: there is no version before the change",
    "deleted_file": "the commit deletes the file: there is no version after the change",
    "identical": "the contents are the same before and after (up to trailing whitespace)",
}

PAIRWISE = Pairwise(
    title="Which version of the code correctly makes the change described by the commit message?",
    description=(
        "In this task, you will be shown a commit message in which a developer describes a "
        "change to a source file, the programming language and the path of the file, and two "
        "versions of the file. One version makes the change that the message asks for; the "
        "other does not make it, or makes it wrongly. Read the message carefully and compare "
        "the two versions. Choose the version that correctly implements the described change."
    ),
    context_fields=("language", "file", "commit_message"),
    response_field="code",
)


def _pair(row: Row) -> Pair:
    if row.file not in FILES:
        raise row.error("*", f"unexpected file (known: {sorted(FILES)})")
    old = row.get("old_contents", str).rstrip()
    new = row.get("new_contents", str).rstrip()
    if not old.strip():
        raise SkipRow("new_file")
    if not new.strip():
        raise SkipRow("deleted_file")
    if old == new:
        raise SkipRow("identical")
    context = {
        "language": FILES[row.file],
        "file": row.text("new_file").strip(),
        "commit_message": row.text("message").strip(),
    }
    return Pair(context, better=new, worse=old)


register(
    FlameTask(
        name="commitpack_pairwise",
        source=SOURCE,
        capability=Capability.CODING,
        template=PAIRWISE,
        splits={"train": tuple(FILES)},
        convert=per_row(_pair),
        skips=SKIPS,
    )
)
