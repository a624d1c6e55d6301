"""The `workbook` command: run a quarter, check its inputs, build the demo data.

Exit codes: 0 published (or checks passed); 2 bad parameters or bad data; 1 a notebook failed.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer

from helpers.core.errors import WorkbookError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Customer-analysis workbook: run a quarter's notebooks and publish reports.",
    pretty_exceptions_enable=False,
)


def _fail(exc: WorkbookError) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(2)


@app.command()
def run(
    params: Annotated[Path, typer.Argument(help="The quarter's parameter file (YAML).")],
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only this notebook (name or number); repeatable.")
    ] = None,
    reports: Annotated[Path, typer.Option(help="Where versioned reports are published.")] = Path("reports"),
    private: Annotated[
        Path, typer.Option(help="Where private run artifacts are kept (never published).")
    ] = Path("private"),
    notebooks: Annotated[Path | None, typer.Option(help="The notebooks folder.")] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            min=1, max=8, help="Notebooks run side by side (default: 2 on two cores or more; 1: one by one)."
        ),
    ] = None,
    memory_gb: Annotated[
        float | None,
        typer.Option(
            "--memory-gb",
            min=0.5,
            help="Memory the notebooks side by side may use together, by "
            "their peaks in the last run (default: 70% of what is available).",
        ),
    ] = None,
) -> None:
    """Validate the parameters and data, run every notebook, publish a new report version."""
    import logging

    from helpers.batch.run import run_batch

    # a Ctrl-C ends the kernel's cell as well: its unretrieved task is no user's business
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    try:
        result = run_batch(
            params,
            reports,
            private,
            notebooks,
            only,
            jobs=jobs,
            memory_mb=memory_gb * 1024 if memory_gb else None,
        )
    except WorkbookError as exc:
        _fail(exc)
        return
    except KeyboardInterrupt:
        typer.echo("interrupted: nothing was published", err=True)
        raise typer.Exit(130) from None
    if not result.ok and result.conflicts:
        typer.echo(
            "error: the pages state one figure with two values, so nothing was published:\n"
            + "\n".join(f"  - {c}" for c in result.conflicts)
            + "\nfix the notebook or helper that computes the figure on a base of its own "
            f"(the executed notebooks are kept in {result.folder})",
            err=True,
        )
        raise typer.Exit(1)
    if not result.ok:
        failed = next(r for r in result.notebooks if r.status == "failed")
        typer.echo(
            f"error: notebook {failed.name} failed ({failed.error}).\nNothing was "
            f"published; the executed notebooks are kept in {result.folder}",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"Published v{result.version} in {result.duration_s:.1f} s: {result.folder}")
    typer.echo(f"Report index: {result.index}")


@app.command()
def check(
    params: Annotated[Path, typer.Argument(help="The parameter file (YAML).")],
    notebooks: Annotated[Path | None, typer.Option(help="The notebooks folder.")] = None,
) -> None:
    """Validate the parameters and the data, and print the plan: which reports and sections
    the run will make, and what each one it leaves out needs; run nothing."""
    from helpers.batch.notebooks import default_notebooks_dir, list_notebooks
    from helpers.data.dataset import load_dataset
    from helpers.params.loading import load_params
    from helpers.params.plan import describe

    try:
        cfg = load_params(params)
        ds = load_dataset(cfg)
        plan_lines = describe(list_notebooks(notebooks or default_notebooks_dir()), cfg)
    except WorkbookError as exc:
        _fail(exc)
        return
    from helpers.params.schema import label_warnings, population

    who = population(cfg)
    n_cust = f"no {who.singular} file" if ds.customers is None else f"{len(ds.customers):,} {who.plural}"
    n_orders = (
        "no orders file" if ds.orders is None else f"{int(ds.engine.execute(ds.orders.count())):,} orders"
    )
    n_events = (
        f", {int(ds.events.types.sum()):,} events of {len(ds.events.types)} types"
        if ds.events is not None
        else ""
    )
    typer.echo(f"OK: {params} (period {cfg.period}, as of {cfg.as_of}): {n_cust}, {n_orders}{n_events}.")
    for item in ds.quality:
        typer.echo(f"  note: {item.table}.{item.column}: {item.check}: {item.rows:,} rows, {item.action}")
    for line in label_warnings(ds.customers, cfg):
        typer.echo(f"  warning: {line}")
    typer.echo("Plan:")
    for line in plan_lines:
        typer.echo(line)


@app.command()
def index(reports: Annotated[Path, typer.Option(help="The reports folder.")] = Path("reports")) -> None:
    """Rebuild the reports index from the published versions on disk (after a crash, or a
    version removed by hand); also removes what killed runs left behind."""
    from helpers.batch.index import write_index
    from helpers.batch.publish import clean_stale, locked

    if not reports.is_dir():
        _fail(WorkbookError(f"{reports}: no such reports folder"))
    with locked(reports):  # never while a run publishes
        removed = clean_stale(reports)
        path = write_index(reports.resolve())
    typer.echo(
        f"Index rebuilt: {path}" + (f" (removed {len(removed)} leftovers of killed runs)" if removed else "")
    )


@app.command()
def assign(
    params: Annotated[Path, typer.Argument(help="The parameter file whose last run to use.")],
    leads_file: Annotated[
        Path, typer.Argument(metavar="LEADS", help="Leads to assign (CSV, Excel, Parquet or SPSS).")
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="Where to write the result (CSV).")],
    private: Annotated[Path, typer.Option(help="Where run artifacts are kept.")] = Path("private"),
) -> None:
    """Assign new leads to segments and score their ICP fit with the last published run's model."""
    from helpers.analyses import saved_model
    from helpers.batch.publish import latest_private
    from helpers.core.artifacts import SEGMENT_MODEL
    from helpers.params.loading import load_params

    try:
        cfg = load_params(params)
        version = latest_private(private, cfg.period, having=SEGMENT_MODEL.relative)
        typer.echo(f"Using the segmentation model of {cfg.period} {version.name}", err=True)
        model = saved_model.load(SEGMENT_MODEL.in_run(version))
        leads = saved_model.read_leads(leads_file)
        result, problems = model.assign(leads, str(leads_file))
    except WorkbookError as exc:
        _fail(exc)
        return
    keep = [c for c in leads.columns if c in (cfg.columns.id if cfg.columns else None, "lead_id", "id")]
    leads[keep].join(result).to_csv(out, index=False)
    assigned = (result["segment"] != "unassigned").sum()
    typer.echo(
        f"{len(result):,} leads: {assigned:,} assigned to a segment, "
        f"{len(result) - assigned:,} unassigned; written to {out}"
    )
    tiers = result["fit tier"].value_counts()
    typer.echo(
        "Fit: " + ", ".join(f"{t} {tiers.get(t, 0):,}" for t in ("perfect fit", "workable fit", "not fit"))
    )
    if problems:
        typer.echo(f"{len(problems)} rows have problems (kept, see the 'problems' column):", err=True)
        for line in problems[:20]:
            typer.echo(f"  {line}", err=True)
        if len(problems) > 20:
            typer.echo(f"  … and {len(problems) - 20} more", err=True)


@app.command()
def init(
    data: Annotated[
        Path,
        typer.Argument(
            help="A customer, survey or CRM file, or a transaction log (CSV, Parquet, Excel, SPSS)."
        ),
    ],
    orders: Annotated[
        Path | None, typer.Option(help="The orders (transactions) of the same customers.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "-o", "--out", help="Where to write the parameter file (default: parameters/<period>.yaml)."
        ),
    ] = None,
    period: Annotated[
        str | None, typer.Option(help="The period's name (default: from the file name).")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Last day of the data, YYYY-MM-DD (default: the last date in it)."),
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="The Excel sheet to read (default: the first).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the parameter file if it exists.")] = False,
) -> None:
    """Guess a commented parameter file from a data file: every column's role, scales, labels,
    filters and banners, each guess with its reason; then check it against the data."""
    from helpers.setup.draft import default_period, write_parameters

    day = None
    if as_of:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            _fail(WorkbookError(f"--as-of {as_of!r} is not a date; write YYYY-MM-DD"))
    target = out or Path("parameters") / f"{period or default_period(data)}.yaml"
    try:
        result = write_parameters(data, target, orders, period, day, force, sheet)
    except WorkbookError as exc:
        _fail(exc)
        return
    draft = result.draft
    typer.echo(f"Read {data}" + (f" and {orders}" if orders else "") + f" ({draft.kind}).")
    typer.echo("Found:")
    for line in draft.summary:
        typer.echo(f"  {line}")
    if draft.undecided:
        typer.echo("Not sure (edit these keys):")
        for line in draft.undecided:
            typer.echo(f"  {line}")
    if draft.dropped:
        typer.echo("Left out (no role, dropped at load):")
        for line in draft.dropped:
            typer.echo(f"  {line}")
    typer.echo(f"Wrote {result.path}")
    if result.check_error:
        typer.echo(f"The check found a problem to fix first:\n{result.check_error}", err=True)
        raise typer.Exit(2)
    typer.echo(f"Checked: {result.rows} read without problems.")
    typer.echo(f"Next: read the guesses in {result.path}, then: workbook run {result.path}")


@app.command("demo-data")
def demo_data(
    customers: Annotated[int, typer.Option(min=100, help="Number of people.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 7,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("data/demo"),
    as_of: Annotated[str, typer.Option(help="Last day of the data (YYYY-MM-DD).")] = "2026-09-30",
    if_missing: Annotated[
        bool, typer.Option("--if-missing", help="Do nothing when the files exist.")
    ] = False,
    previous_quarter: Annotated[
        bool, typer.Option("--previous-quarter", help="Build the quarter before, with planted changes.")
    ] = False,
    order_rate: Annotated[
        float,
        typer.Option(
            min=0.1, max=50, help="How often people buy: 1 gives about 3.9 orders each, 4 about 20."
        ),
    ] = 1.0,
    language: Annotated[
        str, typer.Option(help="Language of the open answers: en (English) or zh (Simplified Chinese).")
    ] = "en",
    kind: Annotated[
        str,
        typer.Option(
            help="retail: the consumer brand (customers, orders); saas: the B2B software company "
            "(accounts, contacts, usage events, invoices; --customers is the number of accounts)"
        ),
    ] = "retail",
) -> None:
    """Build a demo brand's data (Parquet) with planted truths: retail (default) or saas."""
    from helpers.setup.demo import demo_exists, write_demo
    from helpers.setup.demo_saas import saas_exists, write_saas

    if kind not in ("retail", "saas"):
        _fail(WorkbookError(f"--kind {kind!r}: write retail or saas"))
    try:
        day = dt.date.fromisoformat(as_of)
    except ValueError:
        typer.echo(f"error: --as-of {as_of!r} is not a date; write YYYY-MM-DD", err=True)
        raise typer.Exit(2) from None
    if kind == "saas":
        if out == Path("data/demo"):
            out = Path("data/demo-saas")
        if if_missing and saas_exists(out):
            typer.echo(f"SaaS demo data already in {out}")
            return
        paths = write_saas(out, accounts=customers if customers != 20_000 else 6000, seed=seed, as_of=day)
        typer.echo(f"SaaS demo data written to {out}: " + ", ".join(p.name for p in paths.values()))
        return

    if language not in ("en", "zh"):
        _fail(WorkbookError(f"--language {language!r}: write en (English) or zh (Chinese)"))
    if if_missing and demo_exists(out):
        typer.echo(f"Demo data already in {out}")
        return
    paths = write_demo(
        out,
        customers=customers,
        seed=seed,
        as_of=day,
        previous_quarter=previous_quarter,
        order_rate=order_rate,
        language=language,
    )
    typer.echo(
        f"Demo data ({customers:,} people, seed {seed}) written to {out}: "
        + ", ".join(p.name for p in paths.values())
    )


def main() -> None:
    """Entry point of the `workbook` console script."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted: nothing was published", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
