"""The files one notebook leaves for another, and for next quarter: the only place their paths are spelled.

Each notebook of a run gets a private folder of its own (``private/<period>/v<N>/<notebook>/``,
never published). A later notebook, or next quarter's run, finds a file another notebook left by
asking its :class:`Artifact` here, never by writing the folder or file name itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Artifact:
    """A file a notebook writes into its private folder for later readers."""

    notebook: str  # the notebook stem that writes it
    name: str  # the file name inside that notebook's private folder

    @property
    def relative(self) -> str:
        """The path inside a run's private folder, as ``<notebook>/<file>``."""
        return f"{self.notebook}/{self.name}"

    def in_run(self, run_folder: str | Path) -> Path:
        """The file in a run's private folder (``private/<period>/v<N>``)."""
        return Path(run_folder) / self.notebook / self.name

    def beside(self, private_dir: str | Path) -> Path:
        """The file in the same run as a notebook whose private folder is ``private_dir``."""
        return self.in_run(Path(private_dir).parent)


SEGMENT_MODEL = Artifact("03_segment", "segment_model.joblib")  # the fitted model, typing tool and scorecard
ASSIGNMENTS = Artifact("03_segment", "segments.parquet")  # each customer's segment
CUSTOMER_VALUE = Artifact("04_cohorts", "customer_value.parquet")  # each customer's predicted value and risk
VALUE_CHECK = Artifact("04_cohorts", "value_check.json")  # the value model's hold-out totals
PERSONA_FACTS = Artifact("05_personas", "persona_facts.parquet")  # the fact sheets, for next quarter
PERSONA_BASES = Artifact("05_personas", "persona_bases.parquet")  # who each persona figure rests on
FIGURES = "figures.json"  # every notebook's measure ledger, in its own private folder
