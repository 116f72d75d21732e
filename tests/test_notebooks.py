"""The notebooks run top to bottom."""

import os
import re

import nbclient
import nbformat
import pytest

NOTEBOOKS = os.path.join(os.path.dirname(__file__), "..", "notebooks")


@pytest.mark.parametrize("name", ["inspect_mixture.ipynb"])
def test_notebook_runs(name, shared_data, monkeypatch):
    monkeypatch.setenv("FLAME_DATA_DIR", shared_data)
    # ipykernel forwards what C++ writes to file descriptor 2 (TensorFlow's and XLA's logs)
    # into the cells' outputs, except under pytest: without this, the check below sees nothing.
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    notebook = nbformat.read(os.path.join(NOTEBOOKS, name), as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3").execute(
        cwd=os.path.dirname(NOTEBOOKS)
    )
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    shown = printed + "".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    # No TensorFlow / XLA log lines.
    assert not any(noise in shown for noise in ("I0000", "oneDNN", "absl::InitializeLog"))
    # Which tasks have data, and the missing ones with the largest share they could take.
    assert re.search(r"\d+ of \d+ tasks have data \([\d,]+ examples\); \d+ are missing", printed)
    assert "largest_share" in shown and "q2_consistency" in shown
    # Shares next to the paper's, as a table and as bars.
    assert "paper  38.8%" in printed and "█" in printed
    # Rendered examples of flame and of flame_rm (its test split: the samples have no train).
    assert "===== flame / " in printed
    assert "===== flame_rm / hh_rlhf_harmlessness (test)" in printed
    assert "EVALUATION:\n" in printed
    # Token lengths against the feature lengths.
    assert "feature lengths: inputs 1536, targets 512" in printed
    assert "of the sampled examples exceed the feature lengths" in printed
