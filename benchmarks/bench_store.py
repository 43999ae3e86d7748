"""Benchmark: saves of one assessment form with its audit event per second, through the service layer, on SQLite and
PostgreSQL, against a raw ``sqlite3`` baseline doing the same inserts with the same durability, in the same run.

    .venv/bin/python benchmarks/bench_store.py [--saves 1500] [--per-writer 40] [--rounds 3] [--subjects 1000]
        [--no-pg] [--smoke] [--output PATH]

One save is :func:`dermtrial.services.forms.save_form` entering a complete PASI form (16 items, scored by the
instrument): permission and site check, lock check, protocol check, the insert, one audit event hash-chained behind
the locked chain head, one commit. The baseline opens the same migrated schema (indexes and audit triggers included)
with plain ``sqlite3`` in WAL mode with ``synchronous=FULL`` and, per save, runs ``BEGIN IMMEDIATE``, inserts the same
form row, reads the chain head, computes the event's SHA-256, inserts the event, moves the head and commits: the
same rows and the same fsyncs, without the service layer. Each is measured with 1 writer and with 32 writer threads
(the baseline's 32 threads, each with its own connection, serialised by a lock as dermtrial's single writer is);
latency is per save, p50 and p99 over every save. Each configuration runs in ``--rounds`` rounds, the baseline and
the service layer alternating; the rate reported is the best round's (the one least disturbed by other load on the
machine), every round's rate and the CPU time per save are kept beside it. PostgreSQL runs on the server named by
``DERMTRIAL_BENCH_PG`` (default ``DERMTRIAL_TEST_PG``, then 127.0.0.1:5432), in a database made and dropped by the run.
Setup (users, study, ``--subjects`` subjects, 1,000 by default: the study of a large phase 3, added in one unit of
work; argon2 hashing) is not timed. ``--smoke`` runs a tiny size that only shows everything works.

Writes ``benchmarks/results/bench_store.json``::

    {"metric": "store_form_saves_sqlite", "value": <service saves/s, SQLite, 1 writer>,
     "baseline": <raw sqlite3 saves/s, 1 writer>, "ratio": value / baseline, "unit": "saves/s",
     "runs": {"sqlite-service": {"1": {...}, "32": {...}}, "sqlite-raw": …, "postgresql-service": …}, "machine": …}

Goals (issue 6): ``ratio`` ≥ 0.25, and p99 < 10 × p50 for the service layer at 32 writers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import secrets
import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
from rich.progress import Progress

from benchlib import load_average, machine, write
from dermtrial.services import Actor, unit_of_work
from dermtrial.services.accounts import add_user, init_database
from dermtrial.services.auth import login
from dermtrial.services.forms import save_form
from dermtrial.services.studies import add_site, create_study
from dermtrial.store.audit import HASHED_FIELDS, format_utc
from dermtrial.store.engine import Database
from dermtrial.store.migrate import upgrade
from dermtrial.store.models import Subject

RESULTS = Path(__file__).resolve().parent / "results" / "bench_store.json"
PG_SERVER = os.environ.get(
    "DERMTRIAL_BENCH_PG", os.environ.get("DERMTRIAL_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
)
GOAL_RATIO = 0.25
GOAL_TAIL = 10.0
WRITERS = (1, 32)
PASSWORD = "bench-pass-2026!"
PASI = {
    f"{region}.{sign}": value
    for region in ("head", "upper_limbs", "trunk", "lower_limbs")
    for sign, value in (("erythema", 2), ("induration", 1), ("desquamation", 1), ("area", 3))
}


def set_up(db: Database, subjects: int) -> tuple[Actor, list[int]]:
    """A migrated study database with a coordinator at one site and ``subjects`` subjects; returns both."""
    now = dt.datetime.now(dt.UTC)
    upgrade(db)
    init_database(db, username="admin", full_name="Admin", password=PASSWORD, now=now)
    admin = login(db, username="admin", password=PASSWORD, now=now).actor
    create_study(db, admin, protocol="NCT03392311", now=now)
    site = add_site(db, admin, code="GZ01", name="Guangzhou", timezone="Asia/Shanghai", now=now)
    add_user(db, admin, username="li", full_name="Li", password=PASSWORD, role="coordinator", site_code="GZ01", now=now)
    coordinator = login(db, username="li", password=PASSWORD, now=now).actor
    ids: list[int] = []
    with unit_of_work(db, actor=coordinator, now=now) as work:
        work.require("subject.enroll", site)
        for number in range(subjects):
            subject = Subject(study_id=1, site_id=site, screening_number=f"S-{number:04d}")
            work.add(subject, study_id=1, site_code="GZ01")
            ids.append(subject.id)
    return coordinator, ids


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def measure(save: Callable[[int], None], writers: int, saves: int) -> tuple[float, float, list[float]]:
    """Run ``saves`` saves split over ``writers`` threads: (wall seconds, CPU seconds, per-save latencies)."""
    latencies: list[list[float]] = [[] for _ in range(writers)]
    per_writer = max(1, saves // writers)
    start_line = threading.Barrier(writers)

    def run(writer: int) -> None:
        start_line.wait()
        own = latencies[writer]
        for _ in range(per_writer):
            began = time.perf_counter()
            save(writer)
            own.append(time.perf_counter() - began)

    began, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(max_workers=writers) as pool:
        list(pool.map(run, range(writers)))
    return time.perf_counter() - began, time.process_time() - cpu, [v for own in latencies for v in own]


def summary(writers: int, rounds: list[tuple[float, float, list[float]]]) -> dict[str, Any]:
    """Figures over rounds: the best round's rate (least disturbed by other load), latencies over every save."""
    every = [value for _, _, latencies in rounds for value in latencies]
    rates = [len(latencies) / seconds for seconds, _, latencies in rounds]
    p50, p99 = percentile(every, 0.50), percentile(every, 0.99)
    return {
        "writers": writers,
        "saves": len(every),
        "rounds": len(rounds),
        "saves_per_s": round(max(rates), 1),
        "saves_per_s_each_round": [round(rate, 1) for rate in rates],
        "cpu_ms_per_save": round(1000 * sum(cpu for _, cpu, _ in rounds) / len(every), 3),
        "p50_ms": round(p50 * 1000, 3),
        "p99_ms": round(p99 * 1000, 3),
        "p99_over_p50": round(p99 / p50, 2),
        "mean_ms": round(statistics.fmean(every) * 1000, 3),
    }


def service_saver(db: Database, actor: Actor, subjects: list[int]) -> Callable[[int], None]:
    """One save through the service layer (a complete PASI form and its audit event)."""

    def save(writer: int) -> None:
        save_form(db, actor, subject_id=subjects[writer % len(subjects)], form_code="PASI", item_values=PASI,
                  status="complete", now=dt.datetime.now(dt.UTC))  # fmt: skip

    return save


class RawSqlite:
    """The baseline: the same rows written with plain sqlite3, one transaction per save, WAL + synchronous=FULL."""

    def __init__(self, path: Path, subjects: list[int]) -> None:
        self.path, self.subjects = path, subjects
        self.local = threading.local()
        self.lock = threading.Lock()
        self.item_values = json.dumps(PASI, sort_keys=True, separators=(",", ":"))
        self.derived = json.dumps({"pasi": 12.0}, separators=(",", ":"))

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self.local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = FULL")
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA busy_timeout = 30000")
            self.local.connection = connection
        return connection

    def save(self, writer: int) -> None:
        connection = self._connection()
        now = dt.datetime.now(dt.UTC)
        stamp = now.replace(tzinfo=None).isoformat(sep=" ")
        subject = self.subjects[writer % len(self.subjects)]
        with self.lock:
            connection.execute("BEGIN IMMEDIATE")
            cursor = connection.execute(
                "INSERT INTO form_instance (subject_id, form_code, form_version, status, item_values, derived, "
                "instrument_code, instrument_version, created_at, created_by_user_id, version, voided) "
                "VALUES (?, 'PASI', '1', 'complete', ?, ?, 'pasi', 'PASI-1978/dermtrial-1', ?, 2, 1, 0)",
                (subject, self.item_values, self.derived, stamp),
            )
            seq, previous = connection.execute(
                "SELECT last_seq, last_hash FROM audit_chain_head WHERE id = 1"
            ).fetchone()
            event: dict[str, Any] = dict.fromkeys(HASHED_FIELDS)
            event |= {"seq": seq + 1, "occurred_at": format_utc(now), "event_type": "create", "actor_user_id": 2,
                      "actor_username": "li", "actor_role": "coordinator", "study_id": 1, "site_code": "GZ01",
                      "subject_id": subject, "entity_type": "form_instance", "entity_id": str(cursor.lastrowid),
                      "new_value": self.item_values, "request_id": secrets.token_hex(16),
                      "prev_hash": previous}  # fmt: skip
            encoded = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            digest = hashlib.sha256(encoded.encode("utf-8")).hexdigest()
            connection.execute(
                f"INSERT INTO audit_event ({', '.join(HASHED_FIELDS)}, hash) VALUES ({', '.join('?' * 18)})",
                [stamp if name == "occurred_at" else event[name] for name in HASHED_FIELDS] + [digest],
            )
            connection.execute(
                "UPDATE audit_chain_head SET last_seq = ?, last_hash = ? WHERE id = 1", (seq + 1, digest)
            )
            connection.execute("COMMIT")


def _pg_database() -> str | None:
    name = f"dermtrial_bench_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    except psycopg.OperationalError:
        return None
    return name


def _pg_drop(name: str) -> None:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def run(
    saves: int,
    per_writer: int,
    rounds: int = 3,
    use_pg: bool = True,
    show_progress: bool = True,
    study_subjects: int = 1000,
) -> dict[str, Any]:
    """Measure every configuration and return the result object (does not write it)."""
    load_start = load_average()
    study_subjects = max(study_subjects, max(WRITERS))
    runs: dict[str, dict[str, Any]] = {}
    steps = 2 * len(WRITERS) + (len(WRITERS) if use_pg else 0)
    with tempfile.TemporaryDirectory() as tmp, Progress(disable=not show_progress, transient=True) as progress:
        task = progress.add_task("store benchmark", total=steps)
        service_db = Database(f"sqlite:///{Path(tmp) / 'service.db'}")
        raw_db = Database(f"sqlite:///{Path(tmp) / 'raw.db'}")
        actor, subjects = set_up(service_db, study_subjects)
        _, raw_subjects = set_up(raw_db, study_subjects)
        raw_db.dispose()
        raw = RawSqlite(Path(tmp) / "raw.db", raw_subjects)
        service = service_saver(service_db, actor, subjects)
        runs["sqlite-raw"], runs["sqlite-service"] = {}, {}
        for writers in WRITERS:
            count = saves if writers == 1 else per_writer * writers
            # Alternate the baseline and the service layer, round by round, on the same disk in the same minutes.
            measured: dict[str, list[tuple[float, float, list[float]]]] = {"sqlite-raw": [], "sqlite-service": []}
            for round_number in range(rounds):
                order = [("sqlite-raw", raw.save), ("sqlite-service", service)]
                for name, saver in order[:: -1 if round_number % 2 else 1]:
                    measured[name].append(measure(saver, writers, max(writers, count // rounds)))
            for name, results in measured.items():
                runs[name][str(writers)] = summary(writers, results)
                progress.advance(task)
        service_db.dispose()
        name = _pg_database() if use_pg else None
        if name is not None:
            pg = Database(f"{PG_SERVER}/{name}")
            try:
                actor, subjects = set_up(pg, study_subjects)
                saver = service_saver(pg, actor, subjects)
                runs["postgresql-service"] = {}
                for writers in WRITERS:
                    count = saves if writers == 1 else per_writer * writers
                    results = [measure(saver, writers, max(writers, count // rounds)) for _ in range(rounds)]
                    runs["postgresql-service"][str(writers)] = summary(writers, results)
                    progress.advance(task)
            finally:
                pg.dispose()
                _pg_drop(name)
    value = runs["sqlite-service"]["1"]["saves_per_s"]
    baseline = runs["sqlite-raw"]["1"]["saves_per_s"]
    tails = {engine: by["32"]["p99_over_p50"] for engine, by in runs.items() if engine.endswith("service")}
    return {
        "metric": "store_form_saves_sqlite",
        "value": value,
        "baseline": baseline,
        "ratio": round(value / baseline, 3),
        "unit": "saves/s",
        "scale": study_subjects,
        "scale_means": "subjects in the study written to",
        "goal": f"ratio >= {GOAL_RATIO}; service p99 < {GOAL_TAIL} x p50 at 32 writers",
        "goal_met": value / baseline >= GOAL_RATIO and all(tail < GOAL_TAIL for tail in tails.values()),
        "ratio_32_writers": round(
            runs["sqlite-service"]["32"]["saves_per_s"] / runs["sqlite-raw"]["32"]["saves_per_s"], 3
        ),
        "ratio_of_median_rounds": round(
            statistics.median(runs["sqlite-service"]["1"]["saves_per_s_each_round"])
            / statistics.median(runs["sqlite-raw"]["1"]["saves_per_s_each_round"]),
            3,
        ),
        "p99_over_p50_at_32": tails,
        "postgresql": "measured" if "postgresql-service" in runs else f"skipped: no server at {PG_SERVER}",
        "runs": runs,
        "machine": machine(load_start, sqlite=sqlite3.sqlite_version),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--saves", type=int, default=1500, help="saves with one writer")
    parser.add_argument("--per-writer", type=int, default=40, help="saves per writer with 32 writers")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, alternating baseline and service")
    parser.add_argument("--subjects", type=int, default=1000, help="subjects in each study (at least 32)")
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--smoke", action="store_true", help="a tiny run: figures mean nothing")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.smoke:
        args.saves, args.per_writer, args.rounds, args.subjects = 6, 1, 1, 32
    result = run(args.saves, args.per_writer, rounds=args.rounds, use_pg=not args.no_pg, study_subjects=args.subjects)
    write(args.output, result)
    for engine, by in result["runs"].items():
        for writers, figures in by.items():
            print(
                f"{engine:20} {writers:>2} writer(s): {figures['saves_per_s']:>8,.1f} saves/s  p50 "
                f"{figures['p50_ms']:.2f} ms  p99 {figures['p99_ms']:.2f} ms  (p99/p50 {figures['p99_over_p50']})"
            )
    print(
        f"service/raw on SQLite, 1 writer: {result['ratio']} (goal >= {GOAL_RATIO}); p99/p50 at 32 writers: "
        f"{result['p99_over_p50_at_32']} (goal < {GOAL_TAIL}): {'met' if result['goal_met'] else 'NOT met'}. "
        f"Written to {args.output}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
