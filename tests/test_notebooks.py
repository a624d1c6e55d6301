"""Notebook hygiene: one parameters cell, committed without outputs, no logic in notebooks."""

from __future__ import annotations

import ast

import nbformat
import papermill as pm
import pytest
from conftest import ROOT

from helpers.batch.notebooks import list_notebooks

NOTEBOOKS = list_notebooks(ROOT / "notebooks")


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS][:1] == ["01_explore.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_exactly_one_parameters_cell_with_annotated_defaults(path):
    nb = nbformat.read(path, 4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    tree = ast.parse(tagged[0].source)
    assert all(isinstance(node, ast.AnnAssign) for node in tree.body)
    declared = pm.inspect_notebook(str(path))
    assert {"params_path", "tables_dir", "private_dir"} <= set(declared)
    assert declared["params_path"]["default"].strip("'\"") == "../parameters/demo.yaml"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, 4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_function_or_class_definitions(path):
    nb = nbformat.read(path, 4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            body = "\n".join(ln for ln in cell.source.splitlines() if not ln.startswith("%%"))
            for node in ast.walk(ast.parse(body)):
                assert not isinstance(
                    node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
                ), f"{path.name}: logic belongs in helpers"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_reads_like_a_report(path):
    nb = nbformat.read(path, 4)
    md = [c for c in nb.cells if c.cell_type == "markdown"]
    assert md and md[0].source.startswith("# ")
    assert len(md) >= 5
    code_lines = [len(c.source.splitlines()) for c in nb.cells if c.cell_type == "code"]
    assert max(code_lines) <= 12


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_need_is_known(path):
    """`%%needs` names only needs the plan knows, so `workbook check` can describe every cell."""
    from helpers.params.plan import NEEDS

    nb = nbformat.read(path, 4)
    for cell in nb.cells:
        first = cell.source.splitlines()[0] if cell.source else ""
        if cell.cell_type == "code" and first.startswith("%%needs"):
            assert set(first.split()[1:]) <= set(NEEDS), first
    assert set(nb.metadata["workbook"]["requires"]) <= set(NEEDS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_paired_script_in_step_with_the_notebook(path):
    """notebooks/NN_name.py (jupytext percent) holds the same cells, tags and metadata."""
    import jupytext

    script = path.with_suffix(".py")
    assert script.exists(), f"{script.name} is missing: jupytext --sync {path.name}"
    nb, paired = nbformat.read(str(path), as_version=4), jupytext.read(str(script))
    fix = f"out of step: run `.venv/bin/jupytext --sync notebooks/{path.name}`"
    assert [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in nb.cells] == [
        (c.cell_type, c.source, c.metadata.get("tags", [])) for c in paired.cells
    ], fix
    assert paired.metadata.get("workbook") == nb.metadata.get("workbook"), fix


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_opens_with_the_project_kernel(path):
    spec = nbformat.read(str(path), as_version=4).metadata["kernelspec"]
    assert spec["name"] == "customer-workbook" and spec["display_name"] == "Customer workbook"


def test_every_script_in_notebooks_is_a_pair():
    scripts = {p.stem for p in (ROOT / "notebooks").glob("*.py")}
    assert scripts == {p.stem for p in NOTEBOOKS}
