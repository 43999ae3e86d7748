"""``dermtrial simulate``: a synthetic, seeded cohort for a protocol, filled into a study through the services and/or
written as the long PASI CSV that ``dermtrial analyze`` reads (docs/simulate.md)."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.exc import ArgumentError, DBAPIError

from dermtrial.cli._common import bad_usage, exit_bad_input, stderr, stdout
from dermtrial.errors import InvalidInput
from dermtrial.protocol.builtin import builtin_ids, resolve
from dermtrial.protocol.loader import load_text
from dermtrial.protocol.model import Protocol
from dermtrial.services import ServiceError
from dermtrial.simulate.model import SimSubject
from dermtrial.simulate.run import RunResult, run_simulation
from dermtrial.simulate.setup import SIM_STATISTICIAN
from dermtrial.store.engine import Database
from dermtrial.store.migrate import current_revision


def _protocol(value: str) -> Protocol:
    try:
        text, source = resolve(value)
    except FileNotFoundError:
        bad_usage(f"--protocol {value}: not a built-in protocol ({', '.join(builtin_ids())}) and no such file")
    try:
        return load_text(text, source)
    except InvalidInput as exc:
        stderr.print(f"error: --protocol {value}: not a valid protocol file", markup=False)
        exit_bad_input(exc.problems)


def _csv_target(path: Path) -> Path:
    if path.is_dir():
        bad_usage(f"--csv {path}: is a directory; give a file name for the CSV")
    if not path.parent.is_dir():
        bad_usage(f"--csv {path}: the folder {path.parent} does not exist")
    return path


def _open(url: str) -> Database:
    try:
        db = Database(url)
    except (ArgumentError, ValueError) as exc:
        bad_usage(f"--db {url}: not a database URL ({exc})")
    try:
        current_revision(db)
    except DBAPIError as exc:
        db.dispose()
        bad_usage(f"--db {db.url.render_as_string(hide_password=True)}: cannot open the database ({exc.orig})")
    return db


def _summary(result: RunResult, seconds: float, with_db: bool) -> Table:
    table = Table(title="dermtrial simulate", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("candidates screened", str(result.candidates))
    table.add_row("drawn eligible", str(result.eligible))
    filled = result.filled
    if with_db and filled is not None:
        for label, value in (
            ("screen failures", filled.screen_failed),
            ("enrolled", filled.enrolled),
            ("visits after screening", filled.visits),
            ("infusions", filled.infusions),
            ("lab results", filled.lab_results),
            ("adverse events", filled.adverse_events),
            ("serious adverse events", filled.serious),
        ):
            table.add_row(label, str(value))
    if result.csv_rows:
        table.add_row("CSV rows", str(result.csv_rows))
    table.add_row("seconds", f"{seconds:.1f}")
    table.add_row("candidates per second", f"{result.candidates / seconds:.2f}" if seconds > 0 else "-")
    return table


def simulate(
    protocol: str = typer.Option(..., "--protocol", help="Built-in protocol id (NCT03392311, …) or a protocol file."),
    subjects: int = typer.Option(..., "--subjects", help="Number of candidates to screen (at least 1)."),
    sites: int = typer.Option(1, "--sites", help="Number of sites the candidates are spread over (at least 1)."),
    seed: int = typer.Option(1, "--seed", help="Seed: the same seed gives the same subjects and the same CSV."),
    db_url: str | None = typer.Option(
        None, "--db", help="Database URL to fill through the services (left out: generate only, for --csv)."
    ),
    csv_out: Path | None = typer.Option(
        None, "--csv", help="Write the long CSV that dermtrial analyze reads (subject, dates, PASI) to this file."
    ),
) -> None:
    """Generate a synthetic cohort and fill a study with it through the services, and/or write its PASI CSV."""
    if subjects < 1:
        bad_usage(f"--subjects {subjects}: at least 1 candidate is needed")
    if sites < 1:
        bad_usage(f"--sites {sites}: at least 1 site is needed")
    loaded = _protocol(protocol)
    if db_url is None and csv_out is None:
        bad_usage("give --db URL (fill a study through the services) and/or --csv OUT (write the PASI CSV)")
    target = _csv_target(csv_out) if csv_out is not None else None
    db = _open(db_url) if db_url is not None else None
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    started = time.perf_counter()
    try:
        with Progress(*columns, console=stderr, transient=True, disable=not stderr.is_terminal) as progress:
            task = progress.add_task("simulating candidates", total=subjects)
            step, done = max(1, subjects // 20), [0]

            def advance(_: SimSubject) -> None:
                progress.advance(task)
                done[0] += 1
                if not stderr.is_terminal and (done[0] % step == 0 or done[0] == subjects):
                    # No live bar in a log: a line every 5 % instead.
                    rate = done[0] / max(time.perf_counter() - started, 1e-9)
                    stderr.print(
                        f"simulating candidates: {done[0]}/{subjects} ({100 * done[0] // subjects} %), "
                        f"{rate:.1f} per second",
                        markup=False,
                    )

            result = run_simulation(
                loaded, protocol, subjects=subjects, sites=sites, seed=seed, db=db, csv_path=target, on_subject=advance
            )
    except (ServiceError, InvalidInput) as exc:
        exit_bad_input(exc.problems)
    finally:
        if db is not None:
            db.dispose()
    for note in result.notes:
        stdout.print(note, markup=False)
    stdout.print(_summary(result, time.perf_counter() - started, db is not None))
    if db_url is not None:
        stdout.print(
            f"study report: dermtrial report --db {db_url} --out DIR --as {SIM_STATISTICIAN} "
            "(password in docs/simulate.md, through DERMTRIAL_PASSWORD)",
            markup=False,
        )
