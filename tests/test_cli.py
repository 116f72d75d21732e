"""The flame-jax command (in-process: main() returns the exit code)."""

import json

from flame_jax import cli


def test_mixture_list_json(capsys):
    assert cli.main(["mixture", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"flame", "flame_rm", "demo"} <= {r["mixture"] for r in rows}


def test_mixture_describe_json(capsys, shared_data):
    assert cli.main(["mixture", "describe", "flame", "--data_dir", shared_data, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    needed = {"task", "source", "task_type", "capability", "num_examples", "rate", "share"}
    assert rows and all(needed <= set(r) for r in rows)
    assert abs(sum(r["share"] for r in rows) - 1.0) < 1e-9


def test_mixture_show_json(capsys):
    assert cli.main(["mixture", "show", "demo", "-n", "2", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 2 and all(r["inputs"].startswith("INSTRUCTIONS:\n") for r in rows)


def test_unknown_mixture_is_a_clear_error(capsys):
    assert cli.main(["mixture", "describe", "flam"]) == 2
    assert "unknown mixture or task 'flam'; did you mean flame" in capsys.readouterr().err


def test_data_check_reports_present_missing_and_errors(capsys, shared_data, tmp_path):
    assert (
        cli.main(
            ["data", "check", "--data_dir", shared_data, "--sources", "hh_rlhf", "begin", "--json"]
        )
        == 0
    )
    rows = {(r["task"], r["split"]): r for r in json.loads(capsys.readouterr().out)}
    assert rows[("hh_rlhf_harmlessness", "test")]["status"] == "present"
    assert rows[("hh_rlhf_harmlessness", "test")]["skipped"] == 1
    assert rows[("hh_rlhf_harmlessness", "train")]["status"] == "missing"
    assert rows[("begin_attribution", "train")]["num_examples"] == 150
    (tmp_path / "hh_rlhf" / "harmless-base").mkdir(parents=True)
    (tmp_path / "hh_rlhf" / "harmless-base" / "test.jsonl.gz").write_bytes(b"not gzip")
    assert cli.main(["data", "check", "--data_dir", str(tmp_path), "--sources", "hh_rlhf"]) == 1
    out = capsys.readouterr().out
    assert "truncated or corrupt" in out and "1 source(s) error: hh_rlhf" in out


def test_data_card_writes_the_generated_card(shared_data, tmp_path, capsys):
    path = tmp_path / "CARD.md"
    assert cli.main(["data", "card", "--data_dir", shared_data, "--output", str(path)]) == 0
    text = path.read_text()
    assert text.startswith("# The FLAMe collection") and "| BEGIN | classification |" in text
    assert f"wrote {path}" in capsys.readouterr().out


def test_data_cache_rejects_an_unknown_task(tmp_path, capsys):
    args = ["data", "cache", "--mixture_or_task", "demo_sortednes", "--output_cache_dir"]
    assert cli.main([*args, str(tmp_path)]) == 2
    assert "demo_sortedness" in capsys.readouterr().err


def test_data_download_dry_run_fetches_nothing(tmp_path, capsys):
    args = ["data", "download", "--data_dir", str(tmp_path), "--dry_run", "--sources", "lima"]
    assert cli.main(args) == 0
    assert (
        "lima/train.jsonl <- https://huggingface.co/datasets/GAIR/lima/" in capsys.readouterr().out
    )
    assert not any(tmp_path.iterdir())
