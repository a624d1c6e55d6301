"""What a notebook opens: one object with the run's parameters, data, weights, privacy minimum and
folders, and the one call that saves a table for the published report and shows it on the page.

A notebook starts with ``wb = workbook.open(params_path, tables_dir, private_dir)`` and then calls
the analysis helpers with ``wb.params``, ``wb.data``, ``wb.frame`` and ``wb.weights``. It sits on top
of every layer below (``analyses``, ``present``) and nothing in the package imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import Markdown
from pandas.io.formats.style import Styler

from helpers.analyses.filters import profile_frame
from helpers.data.dataset import Dataset, load_dataset
from helpers.data.dataset import weights as weights_of
from helpers.data.text import with_themes
from helpers.params import plan
from helpers.params.config import Params
from helpers.params.loading import load_params
from helpers.present import plots
from helpers.present.tables import save_page, save_table


@dataclass
class Workbook:
    """One notebook's run: its parameters, data and where its outputs go."""

    data: Dataset
    tables_dir: str = ""  # the published CSV tables ("" outside a batch run: nothing saved)
    private_dir: str = ""  # this notebook's private artifacts ("" : none)
    report_dir: str = ""  # the published version, for extra pages ("" : none)

    @property
    def params(self) -> Params:
        """The validated parameters (with what loading the data added, such as open-answer themes)."""
        return self.data.params

    @property
    def customers(self) -> pd.DataFrame:
        """The customer table as loaded (personal data dropped)."""
        return self.data.customers

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The customers with behaviour derived from orders: the table the analyses profile."""
        return profile_frame(self.data)

    @cached_property
    def weights(self) -> pd.Series:
        """Each customer's survey weight (1 without weights), aligned to :attr:`frame`."""
        return weights_of(self.frame, self.params)

    @property
    def min_cell(self) -> int:
        """The privacy minimum: no shown figure rests on fewer people."""
        return self.params.privacy.min_cell

    def save(self, table: pd.DataFrame | None, name: str) -> Path | None:
        """Save an aggregate table as ``<name>.csv`` with the published report (not shown)."""
        return save_table(table, name, self.tables_dir)

    def table(
        self, table: pd.DataFrame | None, name: str, title: str = "", **style: Any
    ) -> Styler | Markdown:
        """Save the table as ``<name>.csv`` with the report and show it, titled, on the page."""
        save_table(table, name, self.tables_dir)
        return plots.styled(table, title, **style)

    def save_all(self, tables: dict[str, pd.DataFrame]) -> list[Path | None]:
        """Save each table under its name (a banner book's groups)."""
        return [save_table(table, name, self.tables_dir) for name, table in tables.items()]

    def page(self, html: str, name: str) -> Path | None:
        """Publish an extra page (personas.html) beside the reports."""
        return save_page(html, name, self.report_dir)


def open(  # noqa: A001 (workbook.open reads as what it does)
    params_path: str | Path,
    tables_dir: str = "",
    private_dir: str = "",
    report_dir: str = "",
    themes: bool = True,
) -> Workbook:
    """Load a run for a notebook: parameters, data (open answers in themes), charts and ``%%needs``."""
    plots.setup()
    params = load_params(params_path)
    plan.use(params)  # cells marked %%needs run only when this run's data has what they need
    data = load_dataset(params)
    return Workbook(with_themes(data) if themes else data, tables_dir, private_dir, report_dir)
