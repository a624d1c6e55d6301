"""The segment model as a run saves it for `workbook assign` and next quarter: one versioned object
that assigns leads to segments and scores their fit, and how older saved models are read.

A run's 03_segment saves a :class:`SegmentModel` (:data:`FORMAT` says which shape); `workbook assign`
and next quarter's run read it with :func:`load`, which also reads the models saved by older
versions of the workbook: format 1 (a plain dict) and the module paths before the package was
split into layers (``helpers.segment``, ``helpers.leads``, ``helpers.config`` …), whose classes are
found by name where they live now.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

import helpers
from helpers.analyses.filters import filter_columns
from helpers.analyses.leads import UNASSIGNED, TypingTool
from helpers.analyses.profiles import SegmentProfile
from helpers.analyses.scorecard import fit_scores
from helpers.analyses.segment import Segmenter
from helpers.core.artifacts import SEGMENT_MODEL
from helpers.core.errors import DataError
from helpers.data.readers import read_frame
from helpers.params.config import Params
from helpers.params.inputs import Source
from helpers.params.schema import scale_of
from helpers.params.settings import IcpCriterion

FORMAT = 2  # 1: a dict of the same fields (before 2026-12); 2: SegmentModel


@dataclass
class SegmentModel:
    """A run's fitted segmentation, typing tool and ICP scorecard, with what assigning leads needs."""

    model: Segmenter | None  # the segmentation itself (None in tests that need only the names)
    typing: TypingTool | None  # golden questions → segment; None when the run found one segment
    icp_criteria: list[IcpCriterion]
    icp_values: dict[str, list[str]]  # the answers the run saw, per non-numeric scorecard column
    tiers: tuple[float, ...]
    names: dict[int, str]
    descriptions: dict[int, str]
    ranges: dict[str, tuple[float, float]]  # the valid range of each numeric golden question
    period: str | None
    as_of: str
    k: int
    profile: SegmentProfile | None  # the segment profile (index against everyone) of that run
    format: int = FORMAT
    extra: dict[str, Any] = field(default_factory=dict)  # fields an older format had and this one lost

    def assign(self, leads: pd.DataFrame, path: str) -> tuple[pd.DataFrame, list[str]]:
        """Segment, probability and fit tier for each lead (see :func:`assign_leads`)."""
        return assign_leads(leads, self, path)


def build(
    result: Any, tool: TypingTool | None, criteria: list[IcpCriterion], frame: pd.DataFrame, params: Params
) -> SegmentModel:
    """Everything `workbook assign` and next quarter need from 03's segmentation, in one object."""
    questions = tool.questions if tool is not None else []
    categories = tool.categories if tool is not None else {}
    ranges = {
        q: tuple(params.validation.ranges.get(q, (float(frame[q].min()), float(frame[q].max()))))
        for q in questions
        if q not in categories
    }
    for q in questions:
        if params.columns is not None and q in params.columns.psychographic:
            points = scale_of(q, params).points
            ranges[q] = (points[0], points[-1])
    icp_columns = set().union(*[filter_columns(c.rule) for c in criteria]) if criteria else set()
    icp_values = {
        c: sorted(frame[c].dropna().astype(str).unique())
        for c in icp_columns
        if c in frame and not pd.api.types.is_numeric_dtype(frame[c])
    }
    return SegmentModel(
        model=result.model,
        typing=tool,
        icp_criteria=criteria,
        icp_values=icp_values,
        tiers=tuple(params.icp.tiers),
        names=result.names,
        descriptions=result.descriptions,
        ranges=ranges,
        period=params.period,
        as_of=str(params.as_of),
        k=result.k,
        profile=result.profile,
    )


def save(model: SegmentModel, private_dir: str | Path | None) -> Path | None:
    """Save the model with the run's private artifacts (never published)."""
    if not private_dir:
        return None
    folder = Path(private_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SEGMENT_MODEL.name
    joblib.dump(model, path)
    return path


def load(path: str | Path) -> SegmentModel:
    """Read a saved segment model of this or an older format; a clear error when it cannot be read."""
    try:
        with _old_module_paths():
            saved = joblib.load(path)
    except Exception as exc:  # an unpickling error can be of any type; all mean the same to a user
        raise DataError(
            f"{path}: this saved segment model cannot be read ({type(exc).__name__}: {exc}); "
            "run the quarter again to save a new one"
        ) from None
    if isinstance(saved, dict):  # format 1
        return from_dict(saved)
    if not isinstance(saved, SegmentModel):
        raise DataError(f"{path}: this file is not a saved segment model; run the quarter again")
    if saved.format > FORMAT:
        raise DataError(
            f"{path}: this segment model was saved by a newer workbook (format {saved.format}, this "
            f"one reads up to {FORMAT}); update the workbook (`make install`)"
        )
    saved.profile = _profile_of(saved.profile)
    return saved


def _profile_of(saved: Any) -> SegmentProfile | None:
    """A saved profile as a :class:`SegmentProfile`: one saved before it was a class is an index
    frame that carries its shares and counts in ``.attrs``."""
    if isinstance(saved, pd.DataFrame):
        return SegmentProfile.from_frame(saved) if "shares" in saved.attrs else None
    return saved


def from_dict(saved: dict[str, Any]) -> SegmentModel:
    """A format-1 model (a plain dict, its profile under ``index``) as a :class:`SegmentModel`."""
    known = {f.name for f in fields(SegmentModel)} - {"format", "extra"}
    values = {k: v for k, v in saved.items() if k in known}
    values["profile"] = _profile_of(saved.get("index"))
    defaults: dict[str, Any] = {
        "model": None,
        "typing": None,
        "icp_criteria": [],
        "icp_values": {},
        "tiers": (),
        "names": {},
        "descriptions": {},
        "ranges": {},
        "period": None,
        "as_of": "",
        "k": len(saved.get("names", {})) or 1,
    }
    extra = {k: v for k, v in saved.items() if k not in known and k != "index"}
    return SegmentModel(**{**defaults, **values}, format=1, extra=extra)


def _current_home(old_module: str, name: str) -> Any:
    """The class or function ``name`` that an older pickle placed in ``old_module``, where it is now."""
    found = {}
    for info in pkgutil.walk_packages(helpers.__path__, "helpers."):
        module = importlib.import_module(info.name)
        obj = module.__dict__.get(name)
        if obj is not None and getattr(obj, "__module__", None) == info.name:
            found[info.name] = obj
    if len(found) > 1:  # the same name in two modules: the one that kept the old module's name
        found = {m: obj for m, obj in found.items() if m.rsplit(".", 1)[-1] == old_module.rsplit(".", 1)[-1]}
    if len(found) != 1:
        raise ImportError(f"{old_module}.{name} is {'ambiguous' if found else 'gone'} in this workbook")
    return next(iter(found.values()))


class _OldModule:
    """Stands in for a module of the flat layout, answering each name from its new home."""

    def __init__(self, name: str) -> None:
        self.__name__ = name

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _current_home(self.__name__, attr)


@contextmanager
def _old_module_paths() -> Iterator[None]:
    """While a model loads, the flat module paths of older workbooks (``helpers.segment``) resolve."""
    flat = [f"helpers.{m}" for m in OLD_MODULES if f"helpers.{m}" not in sys.modules]
    sys.modules.update({name: _OldModule(name) for name in flat})  # type: ignore[misc]
    try:
        yield
    finally:
        for name in flat:
            sys.modules.pop(name, None)


# the modules of the flat layout a model saved before the layers could name (helpers.<name>)
OLD_MODULES = (
    "cohorts config crosstab data draft engine errors events explore expressions fields filters "
    "formats infer latent leads metrics names naming outcomes pages personas plan plots privacy "
    "quarters readers report schema segment text usage value wording"
).split()


def assign_leads(leads: pd.DataFrame, model: SegmentModel, path: str) -> tuple[pd.DataFrame, list[str]]:
    """Segment, probability and fit tier for each lead; problems are reported, rows kept."""
    tool, criteria = model.typing, model.icp_criteria
    if tool is None and not criteria:
        raise DataError(
            f"{path}: the run behind this model found a single segment and no scorecard, so there "
            "is nothing to assign leads with; set `segment.k` or other `segment.features` (or "
            "`icp.criteria`) and run again"
        )
    if tool is None:  # one segment: the fit score alone
        return _fit_only(leads, model, path)
    _require_columns(leads, criteria, path, tool.questions)
    problems = pd.Series("", index=leads.index)
    numeric = [q for q in tool.questions if q not in tool.categories]
    for q in numeric:
        values = pd.to_numeric(leads[q], errors="coerce")
        bad = values.isna() & leads[q].notna() & (leads[q].astype(str).str.strip() != "")
        problems[bad] += f"{q}: not a number; "
        lo, hi = model.ranges.get(q, (-np.inf, np.inf))
        out = values.notna() & ((values < lo) | (values > hi))
        problems[out] += f"{q}: outside {lo:g}–{hi:g}; "
    _mark_unknown_answers(leads, {**model.icp_values, **tool.categories}, problems)
    answered = leads[tool.questions].notna().sum(axis=1)
    problems[answered == 0] += "no golden question answered; "
    clean = leads.copy()
    for q in numeric:
        clean[q] = pd.to_numeric(clean[q], errors="coerce")
        lo, hi = model.ranges.get(q, (-np.inf, np.inf))
        clean.loc[(clean[q] < lo) | (clean[q] > hi), q] = np.nan
    for q, known in tool.categories.items():
        clean[q] = clean[q].where(clean[q].astype(str).isin(known))
    out = tool.assign(clean)
    names = model.names
    out["segment name"] = [names.get(s, "") if s != UNASSIGNED else "" for s in out["segment"]]
    scored = fit_scores(clean, criteria, model.tiers)
    if scored is None:  # the run had no scorecard
        out["fit score"], out["fit tier"] = np.nan, "no scorecard"
    else:
        out[["fit score", "fit tier"]] = scored[["fit score", "fit tier"]]
    no_answers = answered == 0
    out.loc[no_answers, ["segment", "segment name"]] = [UNASSIGNED, ""]
    out.loc[no_answers, "probability"] = np.nan
    out["problems"] = problems.str.rstrip("; ")
    report = [f"row {i + 2}: {p}" for i, p in enumerate(out["problems"]) if p]
    return out, report


def _require_columns(
    leads: pd.DataFrame, criteria: list[IcpCriterion], path: str, questions: list[str] | None = None
) -> None:
    """Stop when the leads file lacks a column the typing tool or the scorecard reads."""
    needed = set(questions or []) | set().union(*[filter_columns(c.rule) for c in criteria])
    missing = sorted(needed - set(leads.columns))
    if missing:
        what = (
            "the typing tool and the ICP scorecard need"
            if questions is not None
            else "the ICP scorecard needs"
        )
        raise DataError(
            f"{path}: the leads file lacks the columns {what}: {', '.join(missing)}; "
            "add them (empty cells are allowed)"
        )


def _mark_unknown_answers(
    leads: pd.DataFrame, known_values: dict[str, list[str]], problems: pd.Series
) -> None:
    """Note each answer a lead gives that the run never saw (the row is kept)."""
    for q, known in known_values.items():
        unknown = leads[q].notna() & ~leads[q].astype(str).isin(known)
        problems[unknown] += f"{q}: unknown answer; "


def _fit_only(leads: pd.DataFrame, model: SegmentModel, path: str) -> tuple[pd.DataFrame, list[str]]:
    """Fit score and tier for each lead when the run found one segment (no typing tool)."""
    criteria = model.icp_criteria
    _require_columns(leads, criteria, path)
    problems = pd.Series("", index=leads.index)
    _mark_unknown_answers(leads, model.icp_values, problems)
    scored = fit_scores(leads, criteria, model.tiers)
    assert scored is not None
    out = pd.DataFrame({"segment": UNASSIGNED, "segment name": "", "probability": np.nan}, index=leads.index)
    out[["fit score", "fit tier"]] = scored[["fit score", "fit tier"]]
    out["problems"] = problems.str.rstrip("; ")
    return out, [f"row {i + 2}: {p}" for i, p in enumerate(out["problems"]) if p]


def read_leads(path: str | Path) -> pd.DataFrame:
    """Read a leads file (CSV, Excel, Parquet, SPSS) through the workbook's reader."""
    source = Source(path=Path(path))
    if not source.kind:
        raise DataError(f"{path}: cannot tell the format; use .csv, .xlsx, .parquet or .sav")
    if not Path(path).exists():
        raise DataError(f"{path}: leads file not found")
    return read_frame(source)
