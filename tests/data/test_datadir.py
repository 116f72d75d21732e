"""Downloads into a data directory: by upstream name, atomically, with manual steps named."""

import os

import pytest

from flame_jax.data import datadir, registry, testing
from flame_jax.data.sources import (
    Archive,
    Files,
    GitHub,
    HuggingFace,
    Manual,
    Source,
    Url,
    download,
)


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
    assert GitHub("o/r", "abc", "data").url("a b.csv").endswith("/abc/data/a%20b.csv")
    assert Url("https://x.org/d").url("poems (v1).csv") == "https://x.org/d/poems%20%28v1%29.csv"


def test_every_source_lists_its_files():
    for source in datadir.sources():
        if source.name != "demo":
            assert datadir.source_files(source), source.name
            assert source.license and source.home, source.name


def test_unknown_source_suggests():
    with pytest.raises(KeyError, match="did you mean hh_rlhf"):
        datadir.sources(["hh_rhlf"])


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_download_extracts_archive_members(tmp_path, kind):
    import tarfile
    import zipfile

    archive = tmp_path / f"release.{kind}"
    members = {"repo-1.0/data/train.jsonl": b'{"x": 1}\n', "repo-1.0/README": b"hi"}
    if kind == "zip":
        with zipfile.ZipFile(archive, "w") as z:
            for name, data in members.items():
                z.writestr(name, data)
    else:
        src = tmp_path / "src"
        for name, data in members.items():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            (src / name).write_bytes(data)
        with tarfile.open(archive, "w:gz") as t:
            t.add(src / "repo-1.0", arcname="repo-1.0")
    host = Archive(
        archive.as_uri(), {"train.jsonl": "repo-1.0/data/train.jsonl", "dev.jsonl": "repo-1.0/x"}
    )
    source = Source("toy", "Toy", "MIT", host)
    root = tmp_path / "data"
    report = download(source, ["train.jsonl", "dev.jsonl"], str(root))
    assert report.fetched == ("train.jsonl",)
    assert report.failed[0][0] == "dev.jsonl" and "no member 'repo-1.0/x'" in report.failed[0][1]
    assert (root / "toy" / "train.jsonl").read_text() == '{"x": 1}\n'
    assert sorted(p.name for p in (root / "toy").iterdir()) == ["train.jsonl"]  # no leftovers
    assert download(source, ["train.jsonl"], str(root)).present == ("train.jsonl",)
    assert host.home == archive.as_uri() and hash(source)


def test_archive_source_that_cannot_be_fetched_reports_every_file(tmp_path):
    host = Archive((tmp_path / "gone.zip").as_uri(), {"a.json": "x/a.json", "b.json": "x/b.json"})
    report = download(Source("toy", "Toy", "MIT", host), ["a.json", "b.json"], str(tmp_path))
    assert [f for f, _ in report.failed] == ["a.json", "b.json"] and not report.fetched


def test_check_summarises_every_source(shared_data):
    rows = datadir.check(shared_data)
    summary = datadir.source_summary(rows)
    assert sorted(n for names in summary.values() for n in names) == sorted(
        s.name for s in datadir.sources()
    )
    assert "halueval" in summary["complete"] and "begin" in summary["partial"]
    assert "lima" in summary["missing"]
    shp = next(r for r in rows if r.task == "shp_preference")
    assert shp.detail.startswith("missing: askacademia/train.json,") and "more files)" in shp.detail


def test_files_host_fetches_each_file_from_its_own_url(tmp_path):
    (tmp_path / "export.bin").write_text("a,b\n1,2\n")
    host = Files({"table.csv": (tmp_path / "export.bin").as_uri()}, home="https://example.org")
    source = Source("toy", "Toy", "MIT", host)
    assert download(source, ["table.csv"], str(tmp_path / "data")).fetched == ("table.csv",)
    assert (tmp_path / "data" / "toy" / "table.csv").read_text() == "a,b\n1,2\n"
    with pytest.raises(KeyError, match=r"no URL for other\.csv"):
        host.url("other.csv")


def test_download_plan_names_a_home_for_every_file():
    plan = datadir.download_plan()
    named = {(source, file) for source, file, _ in plan}
    for source in datadir.sources():
        if source.name != "demo":
            assert {(source.name, f) for f in datadir.source_files(source)} <= named, source.name
    for source, file, where in plan:
        assert where.startswith(("https://", "manual: ")), (source, file, where)
    mocha = dict(((s, f), w) for s, f, w in plan)[("mocha", "train.json")]
    assert mocha.endswith("mocha.tar.gz [member mocha/train.json]")


def test_check_counts_bad_rows_of_whole_upstream_files_and_strict_fails_them():
    upstream = os.path.join(os.path.dirname(testing.shared_data()), "upstream")
    names = ["hh_rlhf", "fine_grained_rlhf", "lens", "rankgen"]
    rows = {(r.task, r.split): r for r in datadir.check(upstream, names)}
    assert not [r for r in rows.values() if r.status == "error"]
    lens = rows[("lens_simpeval", "train")]
    assert (lens.status, lens.rows, lens.num_examples, lens.bad) == ("present", 2400, 2399, 1)
    assert lens.detail == (
        "bad: processed_generation: empty text x1 (simpeval_past.csv row 1616) "
        "(budget at most 1.0% of rows)"
    )
    hh = rows[("hh_rlhf_harmlessness", "test")]
    assert (hh.rows, hh.num_examples, hh.bad, hh.detail) == (
        2312,
        2308,
        0,
        "skipped: empty_response=4",
    )
    strict = {(r.task, r.split): r for r in datadir.check(upstream, names, registry.STRICT)}
    assert strict[("lens_simpeval", "train")].status == "error"
    assert "simpeval_past.csv row 1616" in strict[("lens_simpeval", "train")].detail
    assert strict[("fine_grained_rlhf_factuality", "validation")].status == "error"
    assert strict[("hh_rlhf_harmlessness", "test")].status == "present"


def test_check_names_the_expected_path_of_a_file_found_elsewhere(shared_data):
    rows = {(r.task, r.split): r for r in datadir.check(shared_data, ["humanevalpack", "prm800k"])}
    assert rows[("humanevalpack_go", "test")].detail == (
        "missing: data/go/data/humanevalpack.jsonl (humanevalpack/go/humanevalpack.jsonl is "
        "there, humanevalpack/data/go/data/humanevalpack.jsonl expected)"
    )
    assert "prm800k/phase1_train.sample.jsonl is there, prm800k/phase1_train.jsonl expected" in (
        rows[("prm800k_solution", "train")].detail
    )


def test_data_check_flags_set_the_budget(capsys):
    from flame_jax import cli

    upstream = os.path.join(os.path.dirname(testing.shared_data()), "upstream")
    assert cli.main(["data", "check", "--data_dir", upstream, "--sources", "lens"]) == 0
    assert "bad rows per split: at most 1.0% of rows" in capsys.readouterr().out
    assert cli.main(["data", "check", "--data_dir", upstream, "--sources", "lens", "--strict"]) == 1
    assert "lens_simpeval, split train: 1 of 2400 rows bad (0.04%" in capsys.readouterr().out
    argv = ["data", "check", "--data_dir", upstream, "--sources", "lens", "--max_bad_rows", "0"]
    assert cli.main([*argv, "--json"]) == 1
