"""Downloads into a data directory: by upstream name, atomically, with manual steps named."""

import pytest

from flame_jax.data import datadir
from flame_jax.data.sources import GitHub, HuggingFace, Manual, Source, Url, download


def test_download_from_a_url_host(tmp_path):
    upstream = tmp_path / "upstream" / "sub"
    upstream.mkdir(parents=True)
    (upstream / "a.jsonl").write_text('{"x": 1}\n')
    source = Source("toy", "Toy", "MIT", Url((tmp_path / "upstream").as_uri()))
    root = tmp_path / "data"
    report = download(source, ["sub/a.jsonl", "sub/missing.jsonl"], str(root))
    assert report.fetched == ("sub/a.jsonl",)
    assert report.failed and report.failed[0][0] == "sub/missing.jsonl"
    assert (root / "toy" / "sub" / "a.jsonl").read_text() == '{"x": 1}\n'
    assert not (root / "toy" / "sub" / "missing.jsonl").exists()  # no partial file left
    assert download(source, ["sub/a.jsonl"], str(root)).present == ("sub/a.jsonl",)


def test_manual_and_gated_sources_say_what_to_do(tmp_path):
    manual = Source("m", "M", "custom", Manual("email the authors for the files"))
    assert download(manual, ["f.json"], str(tmp_path)).manual == "email the authors for the files"
    gated = HuggingFace("lmsys/chatbot_arena_conversations", gated=True)
    assert gated.url("data/x.parquet") == (
        "https://huggingface.co/datasets/lmsys/chatbot_arena_conversations/resolve/main/data/x.parquet"
    )
    assert GitHub("google/BEGIN-dataset", "abc", "").url("wow/f.tsv").endswith("/abc/wow/f.tsv")


def test_every_source_lists_its_files():
    for source in datadir.sources():
        if source.name != "demo":
            assert datadir.source_files(source), source.name
            assert source.license and source.home, source.name


def test_unknown_source_suggests():
    with pytest.raises(KeyError, match="did you mean hh_rlhf"):
        datadir.sources(["hh_rhlf"])
