"""Notebook hygiene: one parameters cell, committed without outputs, no logic in notebooks."""

from __future__ import annotations

import ast

import nbformat
import papermill as pm
import pytest
from conftest import ROOT

from helpers.report import list_notebooks

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
                assert not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
                                      | ast.Lambda), f"{path.name}: logic belongs in helpers"


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
    from helpers.plan import NEEDS

    nb = nbformat.read(path, 4)
    for cell in nb.cells:
        first = cell.source.splitlines()[0] if cell.source else ""
        if cell.cell_type == "code" and first.startswith("%%needs"):
            assert set(first.split()[1:]) <= set(NEEDS), first
    assert set(nb.metadata["workbook"]["requires"]) <= set(NEEDS)
