"""The helpers are layered one way (../shared/ARCHITECTURE.md): each module imports only from
the modules below it, and none hides an import inside a function to dodge a cycle."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest
from conftest import ROOT

# bottom to top: ground, parameters, readers, engine, dataset, analyses, presentation, faces
LAYERS = [
    "errors",
    "formats",
    "names",
    "privacy",
    "expressions",
    "config",
    "schema",
    "wording",
    "readers",
    "engine",
    "fields",
    "events",
    "data",
    "text",
    "plan",
    "infer",
    "draft",
    "demo",
    "demo_saas",
    "explore",
    "filters",
    "outcomes",
    "crosstab",
    "usage",
    "cohorts",
    "value",
    "metrics",
    "latent",
    "naming",
    "quarters",
    "segment",
    "leads",
    "personas",
    "plots",
    "pages",
    "report",
    "cli",
]
SRC = ROOT / "src" / "helpers"


def _imports(module: str) -> list[tuple[str, bool]]:
    """The helpers modules a module imports, and whether the import sits inside a function."""
    tree = ast.parse((SRC / f"{module}.py").read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("helpers"):
            names = [node.module.split(".", 1)[1]] if "." in node.module else [a.name for a in node.names]
            out += [(n, node.col_offset > 0) for n in names]
    return out


def test_every_module_has_a_layer():
    assert {p.stem for p in SRC.glob("*.py")} - {"__init__"} == set(LAYERS)


@pytest.mark.parametrize("module", LAYERS)
def test_imports_go_down_only(module):
    for dep, inside_function in _imports(module):
        assert LAYERS.index(dep) < LAYERS.index(module), f"{module} imports {dep} from above"
        assert not inside_function or module == "cli", f"{module} imports {dep} in a function"


def test_each_module_imports_on_its_own_in_layer_order():
    code = "; ".join(f"import helpers.{m}" for m in LAYERS)
    subprocess.run([sys.executable, "-c", code], check=True)
