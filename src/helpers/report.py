"""The quarterly batch: run every notebook with Papermill and publish a versioned, offline report.

A run is built in a hidden folder beside the published ones and moved into place only when every
notebook succeeded, so a failed run never touches a published version or the index.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import html
import importlib.metadata as md
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil

from helpers import formats, metrics
from helpers.config import Params, load_params, params_as_dict
from helpers.data import CHECKED_ENV, load_dataset, save_checked
from helpers.errors import ConfigError
from helpers.pages import PageFrame, frame_report, move_glance
from helpers.plan import NEEDS, report_lacks, words
from helpers.privacy import CSP_META
from helpers.text import save_themes, with_themes

NOTEBOOK_NAME = re.compile(r"^\d\d_[A-Za-z0-9_]+\.ipynb$")
KERNEL_NAME = "workbook-python"
TEMPLATES = Path(__file__).parent / "templates"
PACKAGES = [
    "pandas",
    "numpy",
    "scipy",
    "scikit-learn",
    "statsmodels",
    "seaborn",
    "matplotlib",
    "papermill",
    "nbconvert",
    "ibis-framework",
    "duckdb",
    "pydantic",
]
FAILED_DIR = "_failed"
SLOT_ENV = "WORKBOOK_SLOT"
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def project_root() -> Path:
    """The folder holding notebooks/ and parameters/ (the source checkout)."""
    return Path(__file__).resolve().parents[2]


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


def save_table(table: pd.DataFrame | None, name: str, tables_dir: str | Path | None) -> Path | None:
    """Save an aggregate table as CSV for the published report (no-op outside a batch run)."""
    if not tables_dir or table is None:
        return None
    folder = Path(tables_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.csv"
    # 10 significant digits: the same inputs give the same bytes (parallel sums differ in the
    # last bits); text that a spreadsheet would run as a formula is neutralised (OWASP)
    # a named index is a key column (k, segment, threshold), even when it counts 1, 2, 3 …
    keyed = (
        table.index.name is not None or any(table.index.names) or not isinstance(table.index, pd.RangeIndex)
    )
    safe_table(formats.for_csv(table)).to_csv(path, index=keyed, float_format=_ten_digits)
    return path


def _ten_digits(value: float) -> str:
    """A float to 10 significant digits, written out in full (no 1.2e+10 for large money); a
    tiny one (a p-value of 1e-115) in scientific notation, not with a hundred zeros."""
    if value != 0 and abs(value) < 1e-6:
        return np.format_float_scientific(value, precision=3, unique=False, trim="-")
    return np.format_float_positional(value, precision=10, unique=False, fractional=False, trim="-")


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, with a leading apostrophe (numbers,
    including negative ones, stay numbers)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        try:
            float(value)
            return value
        except ValueError:
            return "'" + value
    return value


def safe_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table with every text cell and label neutralised for spreadsheets."""
    out = table.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            # a number among hidden-cell markers is written as in a numeric column (10 digits)
            out[col] = out[col].map(
                lambda v: _ten_digits(v) if isinstance(v, float) and v == v else neutralise(v)
            )
    out.columns = out.columns.map(lambda c: neutralise(c) if isinstance(c, str) else c)
    if isinstance(out.index, pd.MultiIndex):
        out.index = pd.MultiIndex.from_tuples(
            [tuple(neutralise(v) for v in t) for t in out.index], names=out.index.names
        )
    else:
        out.index = out.index.map(neutralise)
    return out


def save_page(page: str, name: str, report_dir: str | Path | None) -> Path | None:
    """Publish an extra page (e.g. personas.html) beside the reports (no-op outside a batch)."""
    if not report_dir:
        return None
    path = Path(report_dir) / name
    path.write_text(page, encoding="utf-8")
    return path


# --- execution -----------------------------------------------------------------------------


@contextlib.contextmanager
def kernel_of_this_python(slots: int = 1) -> Iterator[str]:
    """A kernelspec that runs this interpreter, so notebooks use the project's environment.

    With several slots (notebooks run side by side) it yields the first name and makes one spec
    per slot, `<name>-<slot>`, whose kernels carry `WORKBOOK_SLOT` so their memory is told apart.
    """
    with tempfile.TemporaryDirectory(prefix="workbook-kernel-") as tmp:
        for slot in range(slots):
            spec = Path(tmp) / "kernels" / (KERNEL_NAME if slot == 0 else f"{KERNEL_NAME}-{slot}")
            spec.mkdir(parents=True)
            (spec / "kernel.json").write_text(
                json.dumps(
                    {
                        # CRITICAL: a Ctrl-C reaches the kernel too, and its log line is no user's business
                        "argv": [
                            sys.executable,
                            "-m",
                            "ipykernel_launcher",
                            "-f",
                            "{connection_file}",
                            "--log-level=CRITICAL",
                        ],
                        "display_name": "Customer workbook",
                        "language": "python",
                        "env": {
                            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
                            SLOT_ENV: str(slot),
                            # kernels side by side share the cores: one BLAS thread each, or
                            # OpenBLAS threads spin against the other notebook (03 took 20 s, not 9)
                            **({v: "1" for v in BLAS_THREADS} if slots > 1 else {}),
                        },
                    }
                )
            )
        old = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = tmp + (os.pathsep + old if old else "")
        try:
            yield KERNEL_NAME
        finally:
            if old is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = old


def slot_kernel(kernel: str, slot: int) -> str:
    """The kernelspec name of a slot (see :func:`kernel_of_this_python`)."""
    return kernel if slot == 0 else f"{kernel}-{slot}"


def execute_notebook(
    source: Path, output: Path, parameters: dict[str, Any], kernel: str, cwd: Path, timeout: int | None = None
) -> None:
    """Run one notebook with Papermill (raises PapermillExecutionError on a failed cell)."""
    import papermill as pm

    output.parent.mkdir(parents=True, exist_ok=True)
    # the kernel starts in cwd; papermill's own cwd= changes this whole process's directory,
    # which is not safe while another notebook runs beside this one
    pm.execute_notebook(
        str(source),
        str(output),
        parameters=parameters,
        kernel_name=kernel,
        language="python",
        progress_bar=False,
        log_output=False,
        execution_timeout=timeout,
        resources={"metadata": {"path": str(cwd)}},
    )


def kernel_never_started(exc: BaseException) -> bool:
    """Whether a kernel died before it ran anything: jupyter_client picks free ports for a new
    kernel by opening and closing them, so kernels starting at the same moment (runs side by
    side, or several batches) can pick the same port, and one of them dies at once."""
    return isinstance(exc, RuntimeError) and any(
        words in str(exc)
        for words in ("Kernel died before replying to kernel_info", "Kernel didn't respond in")
    )


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


def export_html(
    notebook: Path, html_path: Path, footer: str = "", frame: PageFrame | None = None
) -> tuple[int, list[str]]:
    """Export an executed notebook as an offline HTML page with code hidden, in the report frame;
    return its size and its "At a glance" lines."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    nb.cells = move_glance(nb.cells)
    for cell in nb.cells:  # warnings and logs are for researchers, not stakeholders
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    nb.metadata["workbook_footer"] = footer
    exporter = HTMLExporter(
        template_name="workbook",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb)
    headline: list[str] = []
    if frame is not None:
        body, headline = frame_report(body, frame)
    html_path.write_text(strip_css_comments(body), encoding="utf-8")
    return html_path.stat().st_size, headline


_STYLE = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.DOTALL | re.IGNORECASE)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def strip_css_comments(page: str) -> str:
    """Drop comments from inline style sheets (the lab theme's credit links to web pages)."""
    return _STYLE.sub(lambda m: m.group(1) + _CSS_COMMENT.sub("", m.group(2)) + m.group(3), page)


def _failed_cell(notebook: Path) -> str:
    import nbformat

    with contextlib.suppress(Exception):
        nb = nbformat.read(str(notebook), as_version=4)
        for i, cell in enumerate(nb.cells):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    return f"cell {i}: {out.get('ename')}: {out.get('evalue')}"
    return "see the executed notebook"


# --- manifest and pages --------------------------------------------------------------------


def sha256(path: Path) -> str:
    """The SHA-256 fingerprint of a file."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def git_commit(folder: Path) -> str | None:
    """The checkout's commit (with `+dirty` for uncommitted changes), or None outside git."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
        return head + ("+dirty" if dirty.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def package_versions() -> dict[str, str]:
    """Versions of the packages that shape the results."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        with contextlib.suppress(md.PackageNotFoundError):
            out[name] = md.version(name)
    return out


def _inputs(params: Params, params_file: Path) -> list[dict[str, Any]]:
    items = [
        {
            "role": "parameters",
            "path": str(params_file.resolve()),
            "bytes": params_file.stat().st_size,
            "sha256": sha256(params_file),
        }
    ]
    for role in ("customers", "orders"):
        src = getattr(params.data, role)
        if src is not None and src.remote:  # read by Spark where it lies; not hashed from here
            items.append({"role": role, "path": str(src.path), "bytes": None, "sha256": None})
        elif src is not None:
            items.append(
                {
                    "role": role,
                    "path": str(src.path),
                    "bytes": Path(src.path).stat().st_size,
                    "sha256": sha256(Path(src.path)),
                }
            )
    return items


PAGE_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;max-width:960px;
margin:0 auto;padding:24px;color:#222;line-height:1.5}
h1{font-size:26px;margin-bottom:4px}h2{font-size:20px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0 16px}td,th{padding:4px 10px;border-bottom:1px solid #eee;
text-align:left}th{background:#f4f7fb}.muted{color:#666;font-size:13px}a{color:#2a5d9f}
.scroll{overflow-x:auto;max-width:100%}ul.files a{overflow-wrap:anywhere}
details{margin-top:28px;border-top:1px solid #ddd;padding-top:8px}summary{cursor:pointer;color:#2a5d9f}
section ul{margin:4px 0 12px}
@media (max-width:600px){body{padding:10px}td,th{padding:4px 6px}}
"""


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{CSP_META}'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>'
        f"{html.escape(title)}</title><style>{PAGE_CSS}</style></head><body>{body}</body></html>"
    )


def _run_time(nb: dict[str, Any]) -> str:
    if nb["status"] == "skipped":
        return "not made: needs " + " and ".join(words(m) for m in nb.get("missing", []))
    return f"{nb['duration_s']:.1f} s"


def _memory(nb: dict[str, Any]) -> str:
    mb = nb.get("peak_memory_mb")
    return "–" if not mb else f"{mb / 1024:.1f} GB"


EXTRA_PAGES = {"personas.html": "Persona cards (one card per printed page, for sales and support)"}


def _version_page(manifest: dict[str, Any]) -> str:
    """A version's page: each report with its main findings first; how it was made, folded."""
    reports = []
    for nb in manifest["notebooks"]:
        link = f'<a href="{html.escape(nb["html"])}">{html.escape(nb["title"])}</a>'
        lines = nb.get("headline") or []
        if nb["status"] == "skipped":
            findings = f'<p class="muted">{html.escape(_run_time(nb))}.</p>'
        elif lines:
            findings = "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"
        else:
            findings = ""
        reports.append(f"<section><h2>{link}</h2>{findings}</section>")
    extras = "".join(
        f'<li><a href="{html.escape(name)}">{html.escape(EXTRA_PAGES.get(name, name))}</a></li>'
        for name in manifest.get("pages", [])
    )
    rows = "".join(
        f'<tr><td><a href="{html.escape(nb["html"])}">{html.escape(nb["title"])}</a></td>'
        f"<td>{_run_time(nb)}</td><td>{_memory(nb)}</td><td>{nb['html_bytes'] / 1024:.0f} KB</td></tr>"
        for nb in manifest["notebooks"]
    )
    tables = "".join(f'<li><a href="{html.escape(t)}">{html.escape(t)}</a></li>' for t in manifest["tables"])
    body = (
        '<nav class="muted"><a href="../../index.html">All reports</a></nav>'
        f"<h1>{html.escape(manifest['title'])}</h1>"
        f"<p>Period <b>{html.escape(manifest['period'])}</b>, version "
        f"<b>v{manifest['version']}</b>, data as of {html.escape(str(manifest['as_of']))}. "
        f"Published {manifest['finished'][:16].replace('T', ' ')} UTC.</p>"
        + "".join(reports)
        + (f"<h2>Also in this version</h2><ul>{extras}</ul>" if extras else "")
        + "<details><summary>For researchers: how this version was made</summary>"
        f'<div class="scroll"><table><tr><th>Report</th><th>Run time</th><th>Peak memory</th>'
        f"<th>Size</th></tr>{rows}</table></div>"
        f'<h3>Tables (CSV, aggregates only)</h3><ul class="files">{tables or "<li>none</li>"}</ul>'
        f'<p class="muted"><a href="manifest.json">manifest.json</a>: parameters, input fingerprints, '
        f'code version, package versions. The executed notebooks: <a href="notebooks/">notebooks/</a>.</p>'
        "</details>"
    )
    return _page(f"{manifest['title']} · {manifest['period']} v{manifest['version']}", body)


def _lock_hash() -> str | None:
    """The fingerprint of requirements.lock, the exact package set the project installs."""
    lock = project_root() / "requirements.lock"
    return sha256(lock) if lock.exists() else None


def published_versions(reports_root: Path) -> list[dict[str, Any]]:
    """Manifests of every published version, newest first."""
    out = []
    for path in Path(reports_root).glob("*/v*/manifest.json"):
        if path.parts[-3].startswith((".", "_")):
            continue
        with contextlib.suppress(ValueError, OSError):
            out.append(json.loads(path.read_text(encoding="utf-8")))
    return sorted(out, key=lambda m: (m["finished"], m["version"]), reverse=True)


def _figure(f: dict[str, Any]) -> str:
    value = float(f["value"])
    if f.get("unit") == "share":
        return f"{value:.0f}%"
    if f.get("unit") == "money":
        return formats.money(value)
    if f.get("unit") == "score":
        return f"{value:+.0f}"
    return formats.number(value)


def _change_cell(now: dict[str, Any], before: dict[str, Any] | None, when: str) -> str:
    """A key figure's change since an earlier version, with an arrow where it is beyond noise."""
    if before is None:
        return '<td class="muted">–</td>'
    diff, beyond = metrics.change(now, before)
    points = " points" if now.get("unit") in ("share", "score") else ""
    shown = (
        ("+" if diff > 0 else "") + formats.money(diff)
        if now.get("unit") == "money"
        else f"{diff:+.1f}{points}"
    )
    if beyond is None:
        return f'<td>{html.escape(shown)} <span class="muted">(no test)</span></td>'
    if not beyond:
        return f'<td>{html.escape(shown)} <span class="muted">(within noise)</span></td>'
    good = (diff > 0) == (now.get("better") != "lower")
    arrow = "▲" if diff > 0 else "▼"
    word = "better" if good and now.get("better") else "worse" if now.get("better") else "changed"
    return f"<td><b>{arrow} {html.escape(shown)}</b> ({word}, beyond noise since {html.escape(when)})</td>"


def headline_panel(versions: list[dict[str, Any]]) -> str:
    """The newest quarter's key figures, with the change since the previous published period and
    the year before (where published), and whether each change is beyond noise."""
    latest: dict[str, dict[str, Any]] = {}
    for m in versions:  # newest first: the first of each period is its latest version
        latest.setdefault(m["period"], m)
    if not latest:
        return ""
    ordered = sorted(latest.values(), key=lambda m: (str(m["as_of"]), m["finished"]), reverse=True)
    now = ordered[0]
    if not now.get("key_figures"):
        return ""
    as_of = dt.date.fromisoformat(str(now["as_of"]))
    earlier = [m for m in ordered[1:] if dt.date.fromisoformat(str(m["as_of"])) < as_of]
    previous = earlier[0] if earlier else None
    year = next(
        (m for m in earlier if 330 <= (as_of - dt.date.fromisoformat(str(m["as_of"]))).days <= 400), None
    )

    def lookup(m: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
        return {f["metric"]: f for f in (m or {}).get("key_figures", [])}

    before, year_before = lookup(previous), lookup(year)
    formats.use_currency(str((now.get("parameters") or {}).get("currency") or ""))  # the run's money
    rows = "".join(
        f"<tr><td>{html.escape(f['metric'].removesuffix(' %'))}</td><td><b>{html.escape(_figure(f))}</b></td>"
        + _change_cell(f, before.get(f["metric"]), previous["period"] if previous else "")
        + (_change_cell(f, year_before.get(f["metric"]), year["period"]) if year else "")
        + "</tr>"
        for f in now["key_figures"]
    )
    since = f"<th>Change since {html.escape(previous['period'])}</th>" if previous else "<th>Change</th>"
    head = f"<tr><th>Measure</th><th>{html.escape(now['period'])}</th>{since}"
    head += (f"<th>Change since {html.escape(year['period'])} (a year before)</th>" if year else "") + "</tr>"
    note = (
        "Shares are tested with a two-proportion z-test at 5% on their effective bases; ▲/▼ marks a "
        "change beyond noise. Money and scores are shown without a test."
        if previous
        else "No earlier period is published yet: the changes appear from the next quarter on."
    )
    return (
        f"<h2>Key figures: {html.escape(now['title'])}</h2>"
        f'<div class="scroll"><table>{head}{rows}</table></div><p class="muted">{note}</p>'
    )


def write_index(reports_root: Path) -> Path:
    """Rewrite `reports/index.html`: every period and version, newest first."""
    versions = published_versions(reports_root)
    periods: dict[str, list[dict[str, Any]]] = {}
    for m in versions:
        periods.setdefault(m["period"], []).append(m)
    sections = []
    for period, items in periods.items():
        rows = "".join(
            f'<tr><td><a href="{html.escape(m["period"])}/v{m["version"]}/index.html">'
            f"v{m['version']}</a></td><td>{m['as_of']}</td>"
            f"<td>{m['finished'][:16].replace('T', ' ')}</td><td>"
            + " · ".join(
                f'<a href="{html.escape(m["period"])}/v{m["version"]}/'
                f'{html.escape(nb["html"])}">{html.escape(nb["title"])}</a>'
                for nb in m["notebooks"]
            )
            + "</td></tr>"
            for m in items
        )
        sections.append(
            f"<h2>{html.escape(period)} — {html.escape(items[0]['title'])}</h2>"
            f'<div class="scroll"><table><tr><th>Version</th><th>Data as of</th><th>Published (UTC)</th>'
            f"<th>Reports</th></tr>{rows}</table></div>"
        )
    body = (
        '<h1>Customer profile reports</h1><p class="muted">Every published period and '
        "version, newest first. Published versions are never changed; a re-run adds a new "
        "version.</p>" + headline_panel(versions) + ("".join(sections) or "<p>No reports published yet.</p>")
    )
    index = Path(reports_root) / "index.html"
    tmp = index.with_suffix(".html.tmp")
    tmp.write_text(_page("Customer profile reports", body), encoding="utf-8")
    tmp.replace(index)
    return index


@contextlib.contextmanager
def _lock(reports_root: Path) -> Iterator[None]:
    with (Path(reports_root) / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


OWNER = ".owner"  # the process id of the run that builds a folder
FAULT_ENV = "WORKBOOK_FAULT"  # tests only: kill the run at a named publishing step


def _fault_point(step: str) -> None:
    """A named step where the fault-injection tests kill the run (as a power cut would)."""
    if os.environ.get(FAULT_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def clean_stale(root: Path) -> list[Path]:
    """Remove what killed runs left in a root: build folders whose process is gone, and a
    half-written index. Folders of runs still going are left alone."""
    removed = []
    for build in root.glob(".build-*"):
        owner = build / OWNER
        try:
            pid = int(owner.read_text())
        except (OSError, ValueError):
            pid = None
        if pid is None or not psutil.pid_exists(pid) or pid == os.getpid():
            shutil.rmtree(build, ignore_errors=True)
            removed.append(build)
    for tmp in root.glob("*.tmp"):
        tmp.unlink(missing_ok=True)
        removed.append(tmp)
    return removed


@contextlib.contextmanager
def locked(*roots: Path) -> Iterator[None]:
    """Every root locked, each once, always in the same order (no two runs wait on each other)."""
    with contextlib.ExitStack() as stack:
        for root in sorted({Path(r).resolve() for r in roots}):
            stack.enter_context(_lock(root))
        yield


def latest_private(private_root: str | Path, period: str, having: str | None = None) -> Path:
    """The private artifacts folder of a period's latest published version (the latest that
    holds the file ``having``, e.g. the segmentation model, when given)."""
    folder = Path(private_root) / period
    versions = sorted((int(p.name[1:]) for p in folder.glob("v*") if p.name[1:].isdigit()), reverse=True)
    if not versions:
        raise ConfigError(f"{folder}: no published run of period {period} yet; run it first")
    for v in versions:
        if having is None or (folder / f"v{v}" / having).exists():
            return folder / f"v{v}"
    raise ConfigError(
        f"{folder}: no published run of period {period} has {having}; run a "
        "version that includes 03_segment first"
    )


def _own_peak_mb() -> float:
    """Peak resident memory of the batch process itself (it checks the data before the run)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def next_version(period_dir: Path) -> int:
    """The next free version number of a period."""
    numbers = [int(p.name[1:]) for p in period_dir.glob("v*") if p.name[1:].isdigit()]
    return max(numbers, default=0) + 1


# --- the run -------------------------------------------------------------------------------


class PeakMemory:
    """The peak resident memory of this process's children (the notebook kernel and the processes
    it starts: joblib workers, a Spark JVM), sampled a few times a second."""

    def __init__(self, interval: float = 0.2, slot: int | None = None) -> None:
        self.interval = interval
        self.slot = slot  # only the kernel of this slot and its children; None: every child
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _processes(self) -> list[psutil.Process]:
        me = psutil.Process()
        if self.slot is None:
            return me.children(recursive=True)
        out = []
        for child in me.children():
            with contextlib.suppress(psutil.Error):
                if child.environ().get(SLOT_ENV) == str(self.slot):
                    out += [child, *child.children(recursive=True)]
        return out

    def _watch(self) -> None:
        while not self._stop.is_set():
            total = 0
            for process in self._processes():
                with contextlib.suppress(psutil.Error):
                    total += process.memory_info().rss
            self.peak_bytes = max(self.peak_bytes, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class NotebookRun:
    name: str
    status: str = "not run"
    duration_s: float = 0.0
    peak_memory_mb: float = 0.0
    error: str = ""


@dataclass
class RunResult:
    """What a batch run did."""

    ok: bool
    folder: Path
    version: int | None = None
    notebooks: list[NotebookRun] = field(default_factory=list)
    duration_s: float = 0.0
    index: Path | None = None
    conflicts: list[str] = field(default_factory=list)  # figures two pages state differently


def missing_inputs(notebook: Path, params: Params) -> list[str]:
    """What a notebook declares it needs (metadata workbook.requires) that this run lacks."""
    meta = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    return report_lacks(meta.get("workbook", {}).get("requires", []), params)


def skipped_page(title: str, missing: list[str], params: Params) -> str:
    """An offline page that says why a report was not made for this run."""
    needs = " and ".join(words(m) for m in missing)
    body = (
        f'<p class="muted">{html.escape(params.title)} · period {html.escape(params.period)}'
        f"</p><h1>{html.escape(title)}</h1><p>This report was not made for this run: it needs "
        f"{html.escape(needs)}, and this run's data has none.</p>"
        f'<p><a href="index.html">Back to this version\'s reports</a></p>'
    )
    return _page(title, body)


def _title_of(notebook: Path) -> str:
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    if title := nb.metadata.get("title"):
        return str(title)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.splitlines()[0][2:].strip()
    return notebook.stem


def default_jobs() -> int:
    """Notebooks run side by side by default: two where this process may use two cores or more
    (the cores it is allowed, as a container or taskset limits them)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return 2 if (cores or 1) >= 2 else 1


def memory_rule(
    reports_root: Path, names: list[str], budget_mb: float | None = None, period: str | None = None
) -> Callable[[int, list[int]], bool]:
    """Whether notebook i may start beside the running ones: their peaks in the newest published
    run that measured them (of this period first: the same data, most likely), added up, stay
    within the budget (70% of the memory available now). A notebook never measured may start:
    its first run measures it."""
    peaks: dict[str, float] = {}
    versions = published_versions(reports_root)
    for manifest in sorted(versions, key=lambda m: m.get("period") != period):  # stable: newest
        for page in manifest.get("notebooks", []):
            if page.get("peak_memory_mb") and page["name"] not in peaks:
                peaks[page["name"]] = float(page["peak_memory_mb"])
    budget = budget_mb if budget_mb is not None else (0.7 * psutil.virtual_memory().available / 2**20)

    def fits(i: int, running: list[int]) -> bool:
        return sum(peaks.get(names[j], 0.0) for j in [*running, i]) <= budget

    return fits


def notebook_after(notebook: Path, names: list[str]) -> list[str]:
    """The notebooks of this run whose private results a notebook reads: `workbook.after` in its
    metadata, or every earlier notebook when it says nothing (a new notebook runs in order)."""
    meta = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    earlier = names[: names.index(notebook.stem)]
    after = meta.get("workbook", {}).get("after")
    return earlier if after is None else [n for n in after if n in earlier]


def stop_kernels() -> None:
    """Kill this process's notebook kernels (they carry WORKBOOK_SLOT) and what they started;
    nothing else this process started (a Spark JVM, a Jupyter server) is touched."""
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.Error):
            if SLOT_ENV in child.environ():
                for process in [*child.children(recursive=True), child]:
                    with contextlib.suppress(psutil.Error):
                        process.kill()


def run_in_order(
    notebooks: list[Path],
    one: Callable[[int, int], tuple[Any, list[str]]],
    slots: int,
    progress: Callable[[str], None],
    fits: Callable[[int, list[int]], bool] | None = None,
) -> dict[int, tuple[Any, list[str]]]:
    """Run `one(i, slot)` for each notebook, up to `slots` at once, each after the notebooks it
    reads; progress lines come out in notebook order, as a run one by one prints them.

    With more than one slot, the notebook with most others waiting on it starts first (03 before
    01: 04 and 05 wait for it), and a notebook starts beside others only where `fits(i, running)`
    says the memory allows. After a failure no further notebook starts; those running finish.
    """
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    names = [nb.stem for nb in notebooks]
    after = {i: [names.index(d) for d in notebook_after(nb, names)] for i, nb in enumerate(notebooks)}

    def waiting_on(i: int) -> int:
        return sum(1 for j in after if i in after[j]) + sum(waiting_on(j) for j in after if i in after[j])

    # one slot: the notebook order, exactly as always
    priority = sorted(range(len(notebooks)), key=lambda i: (-waiting_on(i) if slots > 1 else 0, i))
    finished: dict[int, tuple[Any, list[str]]] = {}
    failed: set[int] = set()
    started: set[int] = set()
    free = list(range(slots))[::-1]
    shown = announced = 0

    def show() -> None:  # the next notebooks in order: their start line, then their outcome
        nonlocal shown, announced
        while shown < len(notebooks) and shown in started:
            if announced == shown:
                progress(f"  [{shown + 1}/{len(notebooks)}] {names[shown]} …")
                announced += 1
            if shown not in finished:
                return
            for line in finished[shown][1]:
                progress(line)
            shown += 1

    stopping = threading.Event()

    def guarded(i: int, slot: int) -> tuple[Any, list[str]]:
        if stopping.is_set():  # Ctrl-C came while this one waited for a thread
            raise KeyboardInterrupt
        return one(i, slot)

    pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="notebook")
    running: dict[Any, tuple[int, int]] = {}
    try:
        while True:
            for i in priority:
                if failed or not free:
                    break
                beside = [j for j, _ in running.values()]
                if (
                    i not in started
                    and all(d in finished for d in after[i])
                    and (not beside or fits is None or fits(i, beside))
                ):
                    slot = free.pop()
                    started.add(i)
                    running[pool.submit(guarded, i, slot)] = (i, slot)
            show()
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                i, slot = running.pop(future)
                free.append(slot)
                finished[i] = future.result()
                if finished[i][0] is None:
                    failed.add(i)
        show()
        # notebooks after one that never started (after a failure): their lines, in order
        for i in sorted(set(finished) - set(range(shown))):
            progress(f"  [{i + 1}/{len(notebooks)}] {names[i]} …")
            for line in finished[i][1]:
                progress(line)
    except BaseException:  # Ctrl-C or an error: stop this run's kernels, so the others end too
        stopping.set()
        pool.shutdown(wait=False, cancel_futures=True)
        while any(not f.done() for f in running):  # a kernel may still be starting: sweep again
            stop_kernels()
            wait(running, timeout=1)
        raise
    pool.shutdown(wait=True)
    return finished


def run_batch(
    params_file: str | Path,
    reports_root: str | Path = "reports",
    private_root: str | Path = "private",
    notebooks_dir: str | Path | None = None,
    only: list[str] | None = None,
    timeout: int | None = 3600,
    progress: Callable[[str], None] = print,
    jobs: int | None = None,
    memory_mb: float | None = None,
) -> RunResult:
    """Validate, run the notebooks (`jobs` side by side where one does not read another's
    results), and publish `reports/<period>/v<N>/` if all succeeded."""
    from papermill.exceptions import PapermillExecutionError

    params_file = Path(params_file).resolve()
    params = load_params(params_file)
    notebooks_dir = Path(notebooks_dir or default_notebooks_dir()).resolve()
    notebooks = select_notebooks(list_notebooks(notebooks_dir), only)
    if not notebooks:
        raise ConfigError(f"{notebooks_dir}: no notebooks (NN_name.ipynb) to run")
    progress(f"Checking {params_file.name} and its data …")
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    data = load_dataset(params)  # stops here, before any notebook, on bad data
    reports_root, private_root = Path(reports_root).resolve(), Path(private_root).resolve()
    for option, root in (("--reports", reports_root), ("--private", private_root)):
        if root.exists() and not root.is_dir():
            raise ConfigError(f"{root}: {option} names a file; give a folder (it is created when missing)")
    reports_root.mkdir(parents=True, exist_ok=True)
    build = reports_root / f".build-{params.period}-{uuid.uuid4().hex[:8]}"
    private_build = private_root / f".build-{params.period}-{build.name[-8:]}"
    private_root.mkdir(parents=True, exist_ok=True)
    with locked(reports_root, private_root):  # what killed runs left behind goes first
        clean_stale(reports_root)
        clean_stale(private_root)
        build.mkdir()
        private_build.mkdir(parents=True)
        for folder in (build, private_build):
            (folder / OWNER).write_text(str(os.getpid()))
    # the checked data, written once; every notebook's load_dataset reads it back (not published)
    checked = save_checked(data, private_build / "_checked")
    # the themes of open answers, found once: every notebook reads the same ones back
    save_themes(with_themes(data), checked)
    engine = data.engine
    del data
    engine.close()  # 1M customers: 2.4 GB held through the run otherwise, 0.3 GB after
    progress(f"        checked in {time.perf_counter() - t0:.1f} s")
    saved_env = os.environ.get(CHECKED_ENV)
    os.environ[CHECKED_ENV] = str(checked)
    runs = [NotebookRun(p.stem) for p in notebooks]
    pages: list[dict[str, Any]] = []
    ok = True
    footer = f"{params.title} · period {params.period} · data as of {params.as_of}"
    frame = PageFrame(
        params.title,
        params.period,
        str(params.as_of),
        params.privacy.min_cell,
        measures=metrics.glossary(params),
    )
    slots = max(1, min(jobs or default_jobs(), len(notebooks)))

    def one(i: int, slot: int) -> tuple[dict[str, Any] | None, list[str]]:
        """Run (or skip) notebook i in a slot: its manifest entry and its progress lines."""
        nb, run = notebooks[i], runs[i]
        missing = missing_inputs(nb, params)
        if missing:
            page = build / f"{nb.stem}.html"
            page.write_text(skipped_page(_title_of(nb), missing, params), encoding="utf-8")
            run.status = "skipped"
            return (
                {
                    "name": nb.stem,
                    "title": _title_of(nb),
                    "html": page.name,
                    "html_bytes": page.stat().st_size,
                    "duration_s": 0.0,
                    "status": "skipped",
                    "missing": missing,
                },
                [f"        skipped: needs {'; '.join(NEEDS[m] for m in missing)}"],
            )
        executed = build / "notebooks" / nb.name
        values = {
            "params_path": str(params_file),
            "tables_dir": str(build / "tables" / nb.stem),
            "private_dir": str(private_build / nb.stem),
            "report_dir": str(build),
        }
        t = time.perf_counter()
        with PeakMemory(slot=slot if slots > 1 else None) as memory:
            for attempt in (1, 2):
                try:
                    execute_notebook(
                        nb,
                        executed,
                        declared(nb, values),
                        slot_kernel(kernel, slot),
                        cwd=notebooks_dir,
                        timeout=timeout,
                    )
                except PapermillExecutionError:
                    run.status, run.error = "failed", _failed_cell(executed)
                except Exception as exc:  # kernel died, timeout: still a failed notebook
                    if attempt == 1 and kernel_never_started(exc):
                        continue  # no cell ran: start it once more
                    run.status, run.error = "failed", f"{type(exc).__name__}: {exc}"
                break
        run.duration_s = time.perf_counter() - t
        run.peak_memory_mb = memory.peak_bytes / 2**20
        if run.status == "failed":
            return None, [f"        failed after {run.duration_s:.1f} s: {run.error}"]
        size, headline = export_html(executed, build / f"{nb.stem}.html", footer, frame)
        run.status = "ok"
        return (
            {
                "name": nb.stem,
                "title": _title_of(nb),
                "html": f"{nb.stem}.html",
                "html_bytes": size,
                "duration_s": round(run.duration_s, 2),
                "peak_memory_mb": round(run.peak_memory_mb),
                "status": "ok",
                "headline": headline,
            },
            [
                f"        done in {run.duration_s:.1f} s ({size / 1024:.0f} KB, "
                f"peak memory {run.peak_memory_mb / 1024:.2f} GB)"
            ],
        )

    conflicts: list[str] = []
    try:
        with kernel_of_this_python(slots) as kernel:
            fits = memory_rule(reports_root, [nb.stem for nb in notebooks], memory_mb, params.period)
            results = run_in_order(notebooks, one, slots, progress, fits)
        for i in sorted(results):
            page, _ = results[i]
            if page is not None:
                pages.append(page)
        ok = all(r.status in ("ok", "skipped") for r in runs)
        # every page gives one figure one value (metrics.Ledger), checked before anything is published
        conflicts = metrics.conflicts(metrics.read_ledgers(private_build)) if ok else []
        if conflicts:
            ok = False
            progress("  the pages disagree: " + "; ".join(conflicts))
    except KeyboardInterrupt:  # Ctrl-C: nothing published, nothing left behind
        ok = False
        shutil.rmtree(build, ignore_errors=True)
        raise
    except BaseException:
        ok = False
        raise
    finally:
        shutil.rmtree(checked, ignore_errors=True)
        if saved_env is None:
            os.environ.pop(CHECKED_ENV, None)
        else:
            os.environ[CHECKED_ENV] = saved_env
        if not ok and build.exists():
            failed = reports_root / FAILED_DIR / f"{params.period}-{started:%Y%m%dT%H%M%S}-{build.name[-8:]}"
            failed.parent.mkdir(parents=True, exist_ok=True)
            build.rename(failed)
        if not ok:
            shutil.rmtree(private_build, ignore_errors=True)
    if not ok:
        return RunResult(False, failed, None, runs, time.perf_counter() - t0, conflicts=conflicts)

    finished = dt.datetime.now(dt.UTC)
    tables = sorted(str(p.relative_to(build)) for p in (build / "tables").rglob("*.csv"))
    # both roots locked, in one order: a version number is taken once across both
    with locked(reports_root, private_root):
        for folder in (build, private_build):  # inside the lock: never taken for a leftover
            (folder / OWNER).unlink(missing_ok=True)
        period_dir = reports_root / params.period
        period_dir.mkdir(exist_ok=True)
        # one number for both roots: a version already in the private root is taken too
        version = max(next_version(period_dir), next_version(private_root / params.period))
        manifest = {
            "period": params.period,
            "version": version,
            "title": params.title,
            "as_of": str(params.as_of),
            "started": started.isoformat(),
            "finished": finished.isoformat(),
            "duration_s": round(time.perf_counter() - t0, 2),
            "status": "published",
            "runner_peak_memory_mb": round(_own_peak_mb()),
            "parameters": params_as_dict(params),
            "inputs": _inputs(params, params_file),
            "git_commit": git_commit(project_root()),
            "packages": package_versions(),
            "lock_sha256": _lock_hash(),
            "notebooks_side_by_side": slots,
            "notebooks": pages,
            "pages": sorted(name for name in EXTRA_PAGES if (build / name).exists()),
            "tables": tables,
            "key_figures": metrics.key_figures(metrics.read_ledgers(private_build)),
        }
        (build / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
        (build / "index.html").write_text(_version_page(manifest), encoding="utf-8")
        final = period_dir / f"v{version}"
        _fault_point("before_move")
        build.rename(final)  # the version appears whole, or not at all
        _fault_point("after_move")
        private_final = private_root / params.period / f"v{version}"
        private_final.parent.mkdir(parents=True, exist_ok=True)
        private_build.rename(private_final)
        _fault_point("before_index")
        index = write_index(reports_root)  # from the manifests on disk: never orphans a version
    return RunResult(True, final, version, runs, time.perf_counter() - t0, index)
