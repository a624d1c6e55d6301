"""The helpers are layered one way (../shared/ARCHITECTURE.md): the subpackages are the layers, and
each module imports only from the packages below its own and, within its own package, from the
modules listed before it. None hides an import inside a function to dodge a cycle."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest
from conftest import ROOT

# bottom to top; within a package, its modules bottom to top
LAYERS: dict[str, list[str]] = {
    # ground: imports nothing of ours
    "core": ["errors", "formats", "names", "privacy", "expressions", "artifacts"],
    # what a run is asked to do
    "params": ["inputs", "settings", "config", "loading", "schema", "wording", "outcomes", "plan"],
    # the data as a run sees it
    "data": ["readers", "engine", "fields", "events", "checks", "order_checks", "dataset", "tokens", "text"],
    # getting started: no analysis depends on it
    "setup": [
        "words",
        "facts",
        "roles",
        "infer",
        "sections",
        "yaml_lines",
        "draft_sections",
        "from_orders",
        "draft",
        "demo_answers",
        "demo_baskets",
        "demo",
        "demo_saas",
    ],
    # one module per analysis step
    "analyses": [
        "explore",
        "file_summary",
        "filters",
        "significance",
        "banners",
        "crosstab",
        "usage",
        "stick_point",
        "cohorts",
        "acquisition",
        "value_models",
        "contract_models",
        "subscriptions",
        "value",
        "churn_risk",
        "revenue",
        "products",
        "returns",
        "metrics",
        "latent",
        "naming",
        "segment",
        "profiles",
        "scorecard",
        "leads",
        "saved_model",
        "quarters",
        "segmentation",
        "faces",
        "personas",
        "priorities",
    ],
    # how figures reach a reader
    "present": ["tables", "card_pages", "plots", "charts", "risk_charts", "tab_book", "pages"],
    # the quarterly batch
    "batch": ["notebooks", "kernels", "export", "index", "publish", "schedule", "manifest", "run"],
}
# packages that may not import one another although one sits above the other in the list
SIBLINGS = {("analyses", "setup")}
SRC = ROOT / "src" / "helpers"
MODULES = [(pkg, mod) for pkg, mods in LAYERS.items() for mod in mods]
PACKAGES = list(LAYERS)


def _imports(path) -> list[tuple[str, int]]:
    """The helpers modules a file imports (dotted below `helpers`) and the import's indentation."""
    tree = ast.parse(path.read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("helpers"):
            base = node.module.removeprefix("helpers").lstrip(".")
            for alias in node.names:
                dotted = base if base.count(".") == 1 else f"{base}.{alias.name}"
                out.append((dotted, node.col_offset))
        elif isinstance(node, ast.Import):
            out += [
                (a.name.removeprefix("helpers."), node.col_offset)
                for a in node.names
                if a.name.startswith("helpers.")
            ]
    return out


def test_every_module_has_a_layer():
    found = {(p.parent.name, p.stem) for p in SRC.glob("*/*.py") if p.stem != "__init__"}
    assert found - {("helpers", "cli"), ("helpers", "workbook")} == set(MODULES)
    top = {p.stem for p in SRC.glob("*.py")}
    assert top == {"__init__", "workbook", "cli"}, "only the notebook context and the CLI sit at the top"


@pytest.mark.parametrize("top", ["workbook", "cli"])
def test_the_top_modules_import_the_packages_and_not_each_other(top):
    for dotted, _ in _imports(SRC / f"{top}.py"):
        assert dotted.split(".")[0] in PACKAGES, f"{top} imports {dotted}"


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_says_what_it_holds_and_may_import(package):
    doc = ast.get_docstring(ast.parse((SRC / package / "__init__.py").read_text()))
    assert doc and len(doc) > 80 and "import" in doc.lower()


@pytest.mark.parametrize(("package", "module"), MODULES, ids=[f"{p}.{m}" for p, m in MODULES])
def test_imports_go_down_only(package, module):
    for dotted, indent in _imports(SRC / package / f"{module}.py"):
        assert dotted.count(".") == 1, f"{package}.{module} imports {dotted!r}: name the module"
        dep_pkg, dep_mod = dotted.split(".")
        assert indent == 0, f"{package}.{module} imports {dotted} in a function"
        if dep_pkg == package:
            mods = LAYERS[package]
            assert mods.index(dep_mod) < mods.index(module), f"{package}.{module} imports {dotted} from above"
        else:
            assert PACKAGES.index(dep_pkg) < PACKAGES.index(package), f"{package}.{module} imports {dotted}"
            assert (package, dep_pkg) not in SIBLINGS, f"{package} may not import {dep_pkg}"


def test_each_module_imports_on_its_own_in_layer_order():
    code = "; ".join(f"import helpers.{p}.{m}" for p, m in MODULES)
    subprocess.run([sys.executable, "-c", code], check=True)


MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 600
# the demo writers draw every planted truth in one readable pass (issue #30 exempts them)
LONG_ON_PURPOSE = {("setup", "demo", "make_demo"), ("setup", "demo_saas", "make_saas")}


def test_no_function_is_longer_than_a_screen_or_two():
    long = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if (
                    lines > MAX_FUNCTION_LINES
                    and (path.parent.name, path.stem, node.name) not in LONG_ON_PURPOSE
                ):
                    long.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, "split these into named steps: " + "; ".join(long)


def test_no_module_is_longer_than_600_lines():
    long = [
        f"{p.relative_to(SRC)} ({n})"
        for p in SRC.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 600
    ]
    assert not long, "split these by concern: " + ", ".join(long)
