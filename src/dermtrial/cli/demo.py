"""``dermtrial demo``: the whole trial on the embedded database, then the web app (docs/demo.md).

It builds (or reuses) the demo study (:mod:`dermtrial.simulate.demo`: NCT03392311, one site, twelve simulated
candidates of whom eight enroll and run every visit, one demo user per role; demo only, the study's planned enrollment
is raised to ten so that two places stay free to practise on), writes the study report exactly as
``dermtrial report --out`` does, prints the demo users and a summary, and serves the web app on 127.0.0.1 in demo
mode until Ctrl-C (unless ``--no-serve``).
"""

from __future__ import annotations

import secrets
import socket
import sqlite3
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from dermtrial.cli._common import EXIT_CHECK_FAILED, bad_usage, stderr, stdout
from dermtrial.cli._store import run
from dermtrial.protocol.builtin import load_builtin
from dermtrial.services.accounts import upgrade_database
from dermtrial.services.analysis_data import AnalysisData
from dermtrial.services.audit import verify_audit_trail
from dermtrial.services.auth import login, logout
from dermtrial.services.study_report import StudyReport, write_study_report
from dermtrial.simulate.demo import (
    DEMO_CANDIDATES,
    DEMO_NOTE,
    DEMO_PASSWORD,
    DEMO_PLANNED_ENROLLMENT,
    DEMO_PROTOCOL,
    REPORT_AS,
    SIGN_IN_AS,
    DemoState,
    build_demo,
    demo_users,
    inspect_demo,
)
from dermtrial.simulate.model import SimSubject
from dermtrial.store import utc_now
from dermtrial.store.engine import Database
from dermtrial.store.migrate import current_revision, head_revision

DEFAULT_DB = "sqlite:///demo/dermtrial-demo.sqlite"
DEFAULT_OUT = Path("demo/report")
HOST = "127.0.0.1"
PORT = 8000


def _out_dir(out: Path) -> Path:
    if out.exists() and not out.is_dir():
        bad_usage(f"--out {out}: exists and is not a directory; give a folder for the report")
    for parent in out.parents:
        if parent.exists() and not parent.is_dir():
            bad_usage(f"--out {out}: {parent} is a file, not a folder")
    return out


def _sqlite_file(url: str, default: bool) -> Path | None:
    """The SQLite file of ``url`` (None for another database); its folder must exist (the default's is made)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        bad_usage(f"--db {url}: not a database URL ({exc})")
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        bad_usage(f"--db {url}: the demo needs a database file, such as {DEFAULT_DB}")
    path = Path(parsed.database)
    if path.is_dir():
        bad_usage(f"--db {url}: {path} is a directory; name a database file")
    if not path.parent.is_dir():
        if not default:
            bad_usage(f"--db {url}: the folder {path.parent} does not exist")
        path.parent.mkdir(parents=True)
    return path


def _check_foreign_sqlite(path: Path, shown: str) -> None:
    """Refuse a SQLite file holding tables but no dermtrial schema, read-only (opening it as a study database
    would switch its journal to WAL)."""
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
            tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    except sqlite3.DatabaseError as exc:
        bad_usage(f"--db {shown}: cannot open the database ({exc})")
    if tables and "alembic_version" not in tables:
        bad_usage(
            f"--db {shown}: it holds tables that are not dermtrial's ({', '.join(sorted(tables)[:3])}); "
            f"the demo does not touch it; give another --db (the default is {DEFAULT_DB})"
        )


def _open(url: str) -> Database:
    try:
        return Database(url)
    except (ArgumentError, ValueError) as exc:
        bad_usage(f"--db {url}: not a database URL ({exc})")


def _inspect(db: Database, shown: str) -> DemoState:
    try:
        state = inspect_demo(db)
    except DBAPIError as exc:
        bad_usage(f"--db {shown}: cannot open the database ({exc.orig})")
    if state.kind == "refused":
        bad_usage(f"--db {shown}: {state.reason}; give another --db (the default is {DEFAULT_DB})")
    return state


def _progress() -> Progress:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, TimeRemainingColumn(), console=stderr, transient=True, disable=not stderr.is_terminal)


def _build(url: str, sqlite_file: Path | None) -> None:
    """Build the demo; a new SQLite file is built beside its place and renamed into it only when complete."""
    building = sqlite_file.with_name(f".{sqlite_file.name}.{secrets.token_hex(4)}.tmp") if sqlite_file else None
    db = _open(f"sqlite:///{building}" if building else url)
    try:
        with _progress() as progress:
            task = progress.add_task("simulating candidates", total=DEMO_CANDIDATES)

            def advance(_: SimSubject) -> None:
                progress.advance(task)

            run(lambda: build_demo(db, on_subject=advance))
        db.dispose()
        if building is not None and sqlite_file is not None:
            building.replace(sqlite_file)
            wal = Path(f"{building}-wal")  # normally checkpointed away when the last connection closed
            if wal.exists():
                wal.replace(f"{sqlite_file}-wal")
            Path(f"{building}-shm").unlink(missing_ok=True)
    except BaseException:
        db.dispose()
        if building is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{building}{suffix}").unlink(missing_ok=True)
        raise


def _report(db: Database, out: Path) -> StudyReport:
    """Write the study report as the demo statistician, with the service ``dermtrial report --out`` uses."""
    session = run(lambda: login(db, username=REPORT_AS, password=DEMO_PASSWORD, now=utc_now()))
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=stderr, transient=True) as progress:
            task = progress.add_task("Reading the study data", total=None)

            def step(description: str) -> None:
                progress.update(task, description=description)

            return run(lambda: write_study_report(db, session.actor, out, progress=step))
    finally:
        logout(db, token=session.token, now=utc_now())


def _places(enrolled: int, planned: int) -> str:
    """The demo-only note on the planned enrollment, or why there is no place left (a demo built before it)."""
    registered = load_builtin(DEMO_PROTOCOL).design.enrollment.count
    if enrolled >= planned:
        return (
            f"No place left to enroll a subject of your own ({enrolled} of {planned} planned subjects are enrolled): "
            "to practise, delete the demo database (the demo/ folder for the default) and run the demo again."
        )
    return DEMO_NOTE.format(planned=planned, registered=registered, free=planned - enrolled)


def _number(value: float | None) -> str:
    return "not computable" if value is None else f"{value:.1f}"


def _summary(data: AnalysisData, endpoints: dict[str, Any], planned: int) -> Table:
    subjects, events = data.subjects, data.adverse_events
    primary = endpoints["primary"]
    improvement = primary["improvement_percent"]
    ci = improvement.get("ci95")
    interval = f" (95% CI {_number(ci[0])} to {_number(ci[1])})" if ci else ""
    registered = load_builtin(DEMO_PROTOCOL).design.enrollment.count
    table = Table(title=f"dermtrial demo: {data.protocol_id}, simulated data", show_header=False)
    table.add_column("what")
    table.add_column("value")
    table.add_row("candidates screened", str(subjects.height))
    table.add_row("screen failures", str(subjects.filter(subjects["status"] == "screen-failed").height))
    table.add_row("enrolled", str(subjects.filter(subjects["enrolled"]).height))
    table.add_row("planned enrollment (demo only)", f"{planned} (protocol: {registered})")
    table.add_row(f"analysed ({endpoints['population']['label']})", str(endpoints["population"]["n"]))
    table.add_row(
        "PASI improvement % at week 12",
        f"mean {_number(improvement['mean'])}{interval}, n {primary['n']}",
    )
    for name in ("pasi50", "pasi75", "pasi90"):
        rate = endpoints["responders"][name]
        table.add_row(f"{name.upper()} responders", f"{rate['n']} of {rate['of']}")
    serious = events.filter(events["serious"]).height
    table.add_row("adverse events (serious)", f"{events.height} ({serious})")
    return table


def _users(site: str) -> Table:
    table = Table(title=f"Demo users (demo only: every one's password is {DEMO_PASSWORD})")
    for column in ("user", "role", "site", "password"):
        table.add_column(column)
    for user in demo_users(site):
        table.add_row(user.username, user.role_name, user.site or "all", DEMO_PASSWORD)
    return table


def _listening_socket() -> socket.socket:
    """A socket listening on 127.0.0.1: port 8000 when free, any free port otherwise."""
    for port in (PORT, 0):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            sock.close()
            continue
        sock.listen(128)
        return sock
    bad_usage(f"no free TCP port on {HOST}")


def _serve(url: str, out: Path) -> None:
    import uvicorn

    from dermtrial.web import Settings, create_app

    settings = Settings(
        database_url=url,
        secret_key=secrets.token_urlsafe(32),
        cookie_secure=False,
        demo=True,
        report_dir=str(out.resolve()),
    )
    app = create_app(settings)
    sock = _listening_socket()
    port = sock.getsockname()[1]
    stdout.print(
        f"Web app: http://{HOST}:{port}/  sign in as {SIGN_IN_AS[0]} (data entry at the site) or {SIGN_IN_AS[1]} "
        f"(every site, the report), password {DEMO_PASSWORD}; Ctrl-C stops it.",
        markup=False,
    )
    sys.stdout.flush()
    server = uvicorn.Server(uvicorn.Config(app, log_level="info", proxy_headers=False, server_header=False))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn has shut down; Ctrl-C is how the demo ends
    finally:
        sock.close()
    stdout.print("Stopped.")


def demo(
    db_url: str | None = typer.Option(
        None, "--db", metavar="URL", help=f"Demo database URL (default {DEFAULT_DB}; never DERMTRIAL_DATABASE_URL)."
    ),
    out: Path = typer.Option(DEFAULT_OUT, "--out", metavar="DIR", help="Folder for the study report."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Stop after the report instead of serving the web app."),
) -> None:
    """Run the whole trial on simulated data: build (or reuse) the demo study, write its report, serve the web app."""
    started = time.perf_counter()
    out = _out_dir(out)
    url = db_url or DEFAULT_DB
    sqlite_file = _sqlite_file(url, default=db_url is None)
    shown = url
    if sqlite_file is not None and sqlite_file.exists() and sqlite_file.stat().st_size > 0:
        _check_foreign_sqlite(sqlite_file, shown)
        state = _inspect(db := _open(url), shown)
        db.dispose()
    elif sqlite_file is not None:
        state = DemoState("new")
    else:
        db = _open(url)
        shown = db.url.render_as_string(hide_password=True)
        state = _inspect(db, shown)
        db.dispose()
    if state.kind == "new":
        stdout.print(f"Building the demo study in {shown}: {DEMO_CANDIDATES} simulated candidates, every visit")
        _build(url, sqlite_file)
        state = DemoState("demo", planned=DEMO_PLANNED_ENROLLMENT)
    else:
        stdout.print(
            f"Reusing the demo database {shown} ({state.screened} screened, {state.enrolled} of {state.planned} "
            "planned enrolled): not simulated again; the report is written again",
            markup=False,
        )
    db = _open(url)
    try:
        if current_revision(db) != head_revision(db):
            upgrade_database(db, now=utc_now())
        stdout.print(f"Writing the study report to {out}")
        written = _report(db, out)
        chain = verify_audit_trail(db, None)
    finally:
        db.dispose()
    data = written.data
    stdout.print(_users(data.sites[0] if data.sites else "-"))
    enrolled = data.subjects.filter(data.subjects["enrolled"]).height
    stdout.print(_summary(data, written.analysis.endpoints, state.planned))
    stdout.print(_places(enrolled, state.planned), markup=False)
    stdout.print(f"Report: {written.files.html.resolve()}", markup=False)
    stdout.print(f"        {written.files.pdf.resolve()}", markup=False)
    stdout.print(
        f"Audit trail: {'verifies' if chain.ok else 'DOES NOT VERIFY'}. Took {time.perf_counter() - started:.0f} s.",
        markup=False,
    )
    if not chain.ok:
        raise typer.Exit(EXIT_CHECK_FAILED)
    if not no_serve:
        _serve(url, out)
