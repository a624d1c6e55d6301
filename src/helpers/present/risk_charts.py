"""The churn score's charts: the gains curve and the reliability curve, both on the rows kept aside."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown

from helpers.analyses.churn_risk import ChurnRisk
from helpers.present.plots import PALETTE


def _against_diagonal(reference: str, xlabel: str, ylabel: str) -> tuple[plt.Figure, plt.Axes]:
    """A square 0–100% chart with its dashed diagonal (what chance, or perfection, would draw)."""
    fig, ax = plt.subplots(figsize=(5.6, 4.2))
    ax.plot([0, 100], [0, 100], color="#999", linewidth=1, linestyle="--", label=reference)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return fig, ax


def gains_chart(risk: ChurnRisk | None) -> plt.Figure | Markdown:
    """The share of all who churned found by contacting the riskiest x% first, against chance."""
    if risk is None:
        return Markdown("")
    g = risk.gains(20)
    fig, ax = _against_diagonal(
        "in random order", "share contacted, riskiest first (%)", "share of those who churned found (%)"
    )
    x = np.r_[0, g.index.to_numpy()]
    ax.plot(x, np.r_[0, g["of those who churned %"]], color=PALETTE, linewidth=2.2, marker="o", ms=3,
            label="riskiest first")  # fmt: skip
    ax.set_title("Gains: who the score finds first")
    ax.legend(frameon=False, loc="lower right")
    fig.tight_layout()
    return fig


def reliability_chart(risk: ChurnRisk | None) -> plt.Figure | Markdown:
    """Observed churn against predicted risk in ten equal-size groups: on the diagonal, a risk of
    30% means 3 in 10 churned."""
    if risk is None:
        return Markdown("")
    r = risk.reliability()
    fig, ax = _against_diagonal("perfectly calibrated", "predicted churn risk (%)", "share who churned (%)")
    ax.plot(r["predicted %"], r["observed %"], color="#e08214", linewidth=2, marker="o", ms=4,
            label=f"the score (Brier {risk.brier:.3f})")  # fmt: skip
    ax.set_title("Calibration: predicted against observed")
    ax.legend(frameon=False, loc="upper left")
    fig.tight_layout()
    return fig
