"""The workbook's notebooks: where they live, which a run selects, and what each declares in its
metadata (its title, the parameters it takes, the inputs it needs, the notebooks it reads)."""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path
from typing import Any

from helpers.core.errors import ConfigError
from helpers.params.config import Params
from helpers.params.plan import report_lacks

NOTEBOOK_NAME = re.compile(r"^\d\d_[A-Za-z0-9_]+\.ipynb$")


def project_root() -> Path:
    """The folder holding notebooks/ and parameters/ (the source checkout)."""
    return Path(__file__).resolve().parents[3]


def default_notebooks_dir() -> Path:
    """Where the workbook's notebooks live; WORKBOOK_NOTEBOOKS overrides it."""
    return Path(os.environ.get("WORKBOOK_NOTEBOOKS", project_root() / "notebooks"))


def list_notebooks(folder: Path) -> list[Path]:
    """The workbook's notebooks in run order (`NN_name.ipynb`)."""
    return sorted(p for p in Path(folder).glob("*.ipynb") if NOTEBOOK_NAME.match(p.name))


def select_notebooks(notebooks: list[Path], only: list[str] | None) -> list[Path]:
    """The notebooks named by `--only` (by stem or number), in run order."""
    if not only:
        return notebooks
    chosen = []
    for name in only:
        key = name.removesuffix(".ipynb")
        hits = [p for p in notebooks if p.stem == key or p.stem.split("_", 1)[0] == key]
        if not hits:
            known = ", ".join(p.stem for p in notebooks)
            raise ConfigError(f"--only {name}: no such notebook; choose from {known}")
        chosen += hits
    return [p for p in notebooks if p in chosen]


def declared(notebook: Path, values: dict[str, Any]) -> dict[str, Any]:
    """Only the parameters a notebook declares in its `parameters` cell (Papermill warns about
    the others)."""
    import ast

    import nbformat

    names: set[str] = set()
    for cell in nbformat.read(str(notebook), as_version=4).cells:
        if "parameters" in cell.metadata.get("tags", []):
            with contextlib.suppress(SyntaxError):
                for node in ast.parse(cell.source).body:
                    targets = (
                        [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, "targets", [])
                    )
                    names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return {k: v for k, v in values.items() if k in names}


def missing_inputs(notebook: Path, params: Params) -> list[str]:
    """What a notebook declares it needs (metadata workbook.requires) that this run lacks."""
    meta = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    return report_lacks(meta.get("workbook", {}).get("requires", []), params)


def title_of(notebook: Path) -> str:
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    if title := nb.metadata.get("title"):
        return str(title)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.splitlines()[0][2:].strip()
    return notebook.stem


def notebook_after(notebook: Path, names: list[str]) -> list[str]:
    """The notebooks of this run whose private results a notebook reads: `workbook.after` in its
    metadata, or every earlier notebook when it says nothing (a new notebook runs in order)."""
    meta = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    earlier = names[: names.index(notebook.stem)]
    after = meta.get("workbook", {}).get("after")
    return earlier if after is None else [n for n in after if n in earlier]
