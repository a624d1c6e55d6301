"""What a published version records about itself: each notebook's run, the inputs' checksums, the
code's commit and the package versions."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata as md
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.batch.notebooks import project_root
from helpers.params.config import Params
from helpers.params.plan import NEEDS

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


def sha256(path: Path) -> str:
    """The SHA-256 fingerprint of a file."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def files_sha256(files: list[Path], base: Path) -> str:
    """One fingerprint of several files: each file's name (from the folder) and checksum, in order."""
    root = base if base.is_dir() else base.parent
    digest = hashlib.sha256()
    for file in files:
        digest.update(f"{file.relative_to(root)}\t{sha256(file)}\n".encode())
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


def input_checksums(params: Params, params_file: Path) -> list[dict[str, Any]]:
    """The parameter file and data files a run read, with their size and checksum."""
    items = [
        {
            "role": "parameters",
            "path": str(params_file.resolve()),
            "bytes": params_file.stat().st_size,
            "sha256": sha256(params_file),
        }
    ]
    for role, src in params.data.named().items():
        if src.remote:  # read by Spark where it lies; not hashed from here
            items.append({"role": role, "path": str(src.path), "bytes": None, "sha256": None})
            continue
        files = src.files
        item: dict[str, Any] = {
            "role": role,
            "path": str(src.path),
            "bytes": sum(f.stat().st_size for f in files),
            "sha256": sha256(files[0]) if len(files) == 1 else files_sha256(files, Path(src.path)),
        }
        if len(files) != 1 or files[0] != Path(src.path):  # a folder or glob: how many files
            item["files"] = len(files)
        items.append(item)
    return items


def lock_hash() -> str | None:
    """The fingerprint of requirements.lock, the exact package set the project installs."""
    lock = project_root() / "requirements.lock"
    return sha256(lock) if lock.exists() else None


@dataclass
class NotebookRun:
    """One notebook's run in a batch; it writes its own entry in the version's manifest."""

    name: str
    title: str = ""
    status: str = "not run"  # ok, skipped, failed
    duration_s: float = 0.0
    peak_memory_mb: float = 0.0
    error: str = ""
    html: str = ""
    html_bytes: int = 0
    missing: list[str] = field(default_factory=list)  # what a skipped notebook needs
    headline: list[str] = field(default_factory=list)  # its "At a glance" lines

    def manifest_entry(self) -> dict[str, Any]:
        """The notebook's entry in manifest.json (what the version page and the index read)."""
        entry: dict[str, Any] = {"name": self.name, "title": self.title, "html": self.html}
        entry["html_bytes"] = self.html_bytes
        if self.status == "skipped":
            return {**entry, "duration_s": 0.0, "status": "skipped", "missing": self.missing}
        return {
            **entry,
            "duration_s": round(self.duration_s, 2),
            "peak_memory_mb": round(self.peak_memory_mb),
            "status": self.status,
            "headline": self.headline,
        }

    def progress_line(self) -> str:
        """What the run prints when the notebook is done."""
        if self.status == "skipped":
            return f"        skipped: needs {'; '.join(NEEDS[m] for m in self.missing)}"
        if self.status == "failed":
            return f"        failed after {self.duration_s:.1f} s: {self.error}"
        return (
            f"        done in {self.duration_s:.1f} s ({self.html_bytes / 1024:.0f} KB, "
            f"peak memory {self.peak_memory_mb / 1024:.2f} GB)"
        )


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
