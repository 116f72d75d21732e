"""The notebooks run top to bottom."""

import os

import nbclient
import nbformat
import pytest

NOTEBOOKS = os.path.join(os.path.dirname(__file__), "..", "notebooks")


@pytest.mark.parametrize("name", ["inspect_mixture.ipynb"])
def test_notebook_runs(name, shared_data, monkeypatch):
    monkeypatch.setenv("FLAME_DATA_DIR", shared_data)
    notebook = nbformat.read(os.path.join(NOTEBOOKS, name), as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3").execute(
        cwd=os.path.dirname(NOTEBOOKS)
    )
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "===== demo_" in printed and "EVALUATION:\n" in printed
