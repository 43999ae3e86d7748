"""Benchmark: 32 simulated users on 127.0.0.1 saving forms through ``/api/v1`` and opening the subject matrix page of a
1,000-subject study served by ``dermtrial serve``, against the same work done by calling the services directly.

    .venv/bin/python benchmarks/bench_web.py [--subjects 1000] [--users 32] [--requests 20] [--matrix-every 10]
        [--smoke] [--output PATH]

**The study** (not timed) is a SQLite file in a temporary folder: the NCT03392311 study, one site (GZ01), a
coordinator, and ``--subjects`` enrolled subjects, each with a planned visit row for every protocol visit. The
subjects and their visits are added through the service layer's unit of work (``work.add``: each row and its hash
chained audit event) in ONE unit of work, as ``benchmarks/bench_store.py`` adds its subjects; ``dermtrial simulate``
carries every candidate through screening, consent, eligibility and each visit and needs minutes for a few hundred
candidates, too slow here. A bearer token for the coordinator comes from ``dermtrial token create --json``.

**The load** (timed): ``dermtrial serve`` (uvicorn, one process) runs in a subprocess on a free port of 127.0.0.1.
``--users`` threads, each an ``httpx.Client`` signed in to the pages with its own session (``/login`` with the CSRF
token) and holding the bearer token, start together and each sends ``--requests`` requests one after the other:
every ``--matrix-every``-th is ``GET /subjects`` (the subject matrix page of every subject), the others are
``POST /api/v1/subjects/{id}/forms`` entering a complete PASI form (16 items, ``visit_id`` null), each user on its
own subjects. An error is any answer other than 201 for a save and 200 for the matrix, or a failed connection.
Reported: requests/s (every request of every user over the wall time), p50 and p99 latency of every request and of
each kind.

**The baseline** (timed, same run, same study file, server idle): the same number of threads do the same sequence
by calling :func:`dermtrial.services.forms.save_form` and :func:`dermtrial.services.matrix.subject_matrix`
directly. ``ratio`` = HTTP requests/s ÷ direct operations/s.

**Statements**: the SQL statements one ``subject_matrix`` call sends are counted with a SQLAlchemy
``before_cursor_execute`` listener, on the 1,000-subject study and on a second study of 10 subjects: the two counts
are equal when the matrix is read in a constant number of statements.

Writes ``benchmarks/results/bench_web.json``::

    {"metric": "web_requests_per_s", "value": <HTTP requests/s>, "baseline": <direct operations/s>,
     "ratio": value / baseline, "unit": "requests/s", "scale": <subjects>, "http": {...}, "direct": {...},
     "matrix_statements": {...}, "machine": {...}, ...}

Goal (issue 10): zero errors, p99 < 10 × p50 over every HTTP request, and the subject matrix of 1,000 subjects in a
constant number of statements. ``--smoke`` runs a tiny size (40 subjects, 4 users, 5 requests each) to show it works.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from benchlib import load_average, machine, write
from dermtrial.protocol import load_builtin
from dermtrial.services import Actor, unit_of_work
from dermtrial.services.accounts import add_user, init_database
from dermtrial.services.auth import login
from dermtrial.services.forms import save_form
from dermtrial.services.matrix import subject_matrix
from dermtrial.services.studies import add_site, create_study
from dermtrial.store.engine import Database
from dermtrial.store.migrate import upgrade
from dermtrial.store.models import Subject, Visit

RESULTS = Path(__file__).resolve().parent / "results" / "bench_web.json"
BIN = Path(sys.executable).parent
PROTOCOL = "NCT03392311"
PASSWORD = "bench-web-pass-2026!"
COORDINATOR = "li"
GOAL_TAIL = 10.0
PASI = {
    f"{region}.{sign}": value
    for region in ("head", "upper_limbs", "trunk", "lower_limbs")
    for sign, value in (("erythema", 2), ("induration", 1), ("desquamation", 1), ("area", 3))
}
CSRF = re.compile(r'name="csrf_token"\s+value="([^"]+)"')


def build_study(url: str, subjects: int) -> tuple[Actor, list[int]]:
    """A migrated study with a coordinator at GZ01 and ``subjects`` enrolled subjects with planned visits."""
    db = Database(url)
    now = dt.datetime.now(dt.UTC)
    try:
        upgrade(db)
        init_database(db, username="admin", full_name="Admin", password=PASSWORD, now=now)
        admin = login(db, username="admin", password=PASSWORD, now=now).actor
        create_study(db, admin, protocol=PROTOCOL, now=now)
        site = add_site(db, admin, code="GZ01", name="Guangzhou", timezone="Asia/Shanghai", now=now)
        add_user(db, admin, username=COORDINATOR, full_name="Li", password=PASSWORD, role="coordinator",
                 site_code="GZ01", now=now)  # fmt: skip
        coordinator = login(db, username=COORDINATOR, password=PASSWORD, now=now).actor
        visits = [visit.id for visit in load_builtin(PROTOCOL).visits]
        ids: list[int] = []
        with unit_of_work(db, actor=coordinator, now=now) as work:
            work.require("subject.enroll", site)
            for number in range(subjects):
                subject = Subject(study_id=1, site_id=site, screening_number=f"S-{number:05d}",
                                  subject_number=f"E-{number:05d}", status="enrolled")  # fmt: skip
                work.add(subject, study_id=1, site_code="GZ01")
                ids.append(subject.id)
                for code in visits:
                    row = Visit(subject_id=subject.id, visit_code=code, repeat=1, status="planned")
                    work.add(row, study_id=1, site_code="GZ01", subject_id=subject.id)
    finally:
        db.dispose()
    return coordinator, ids


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def latency(values: list[float]) -> dict[str, Any]:
    """Count, p50, p99 (ms) and p99 / p50 of per-request seconds."""
    if not values:
        return {"requests": 0}
    p50, p99 = percentile(values, 0.50), percentile(values, 0.99)
    return {"requests": len(values), "p50_ms": round(p50 * 1000, 2), "p99_ms": round(p99 * 1000, 2),
            "p99_over_p50": round(p99 / p50, 2), "mean_ms": round(statistics.fmean(values) * 1000, 2)}  # fmt: skip


def plan(users: int, requests: int, matrix_every: int, subjects: list[int]) -> list[list[int | None]]:
    """Each user's sequence: a subject id for a form save, None for the matrix; user u saves on its own subjects."""
    sequences: list[list[int | None]] = []
    for user in range(users):
        own = subjects[user::users] or subjects
        sequences.append([None if (step + 1) % matrix_every == 0 else own[step % len(own)] for step in range(requests)])
    return sequences


def drive(sequences: list[list[int | None]], act: Callable[[int, int | None], bool]) -> dict[str, Any]:
    """Run every user's sequence in its own thread, all starting together: wall time, latencies and errors."""
    saves: list[list[float]] = [[] for _ in sequences]
    matrix: list[list[float]] = [[] for _ in sequences]
    errors: list[int] = [0 for _ in sequences]
    start_line = threading.Barrier(len(sequences))

    def run(user: int) -> None:
        start_line.wait()
        for subject in sequences[user]:
            began = time.perf_counter()
            ok = act(user, subject)
            (matrix if subject is None else saves)[user].append(time.perf_counter() - began)
            errors[user] += not ok

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(sequences)) as pool:
        list(pool.map(run, range(len(sequences))))
    wall = time.perf_counter() - began
    every_save = [v for own in saves for v in own]
    every_matrix = [v for own in matrix for v in own]
    total = len(every_save) + len(every_matrix)
    return {"users": len(sequences), "requests": total, "seconds": round(wall, 3),
            "per_s": round(total / wall, 1), "errors": sum(errors), "all": latency(every_save + every_matrix),
            "form_saves": latency(every_save), "matrix": latency(every_matrix)}  # fmt: skip


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(url: str, folder: Path) -> Iterator[str]:
    """``dermtrial serve`` in a subprocess on a free port; yields its base URL once ``/healthz`` answers 200."""
    port = free_port()
    env = os.environ | {"DERMTRIAL_SECRET_KEY": secrets.token_urlsafe(32), "DERMTRIAL_COOKIE_SECURE": "false",
                        "DERMTRIAL_ALLOWED_HOSTS": "127.0.0.1", "DERMTRIAL_DEMO": "false"}  # fmt: skip
    log = (folder / "serve.log").open("w", encoding="utf-8")
    server = subprocess.Popen(
        [str(BIN / "dermtrial"), "serve", "--db", url, "--port", str(port)], env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"dermtrial serve exited {server.returncode}: {(folder / 'serve.log').read_text()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("dermtrial serve did not answer /healthz within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def api_token(url: str) -> str:
    """A bearer token for the coordinator from ``dermtrial token create --json``."""
    done = subprocess.run(
        [str(BIN / "dermtrial"), "token", "create", "--user", COORDINATOR, "--json", "--db", url],
        env=os.environ | {"DERMTRIAL_PASSWORD": PASSWORD}, capture_output=True, text=True, check=True,
    )  # fmt: skip
    token: str = json.loads(done.stdout)["token"]
    return token


def signed_in(base: str, token: str) -> httpx.Client:
    """A client with a page session of the coordinator (signed in through /login) and the bearer token."""
    client = httpx.Client(base_url=base, timeout=120)
    page = client.get("/login")
    found = CSRF.search(page.text)
    if found is None:
        raise RuntimeError("no csrf_token on /login")
    answer = client.post("/login", data={"username": COORDINATOR, "password": PASSWORD, "csrf_token": found[1]})
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in answered {answer.status_code}: {answer.text[:300]}")
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def http_load(base: str, token: str, sequences: list[list[int | None]]) -> dict[str, Any]:
    """The timed HTTP load: every user signed in first (not timed), then all together."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        clients = list(pool.map(lambda _: signed_in(base, token), range(len(sequences))))
    body = {"form_code": "PASI", "status": "complete", "item_values": PASI}
    failures: list[str] = []

    def act(user: int, subject: int | None) -> bool:
        try:
            if subject is None:
                answer, wanted = clients[user].get("/subjects"), 200
            else:
                answer, wanted = clients[user].post(f"/api/v1/subjects/{subject}/forms", json=body), 201
        except httpx.HTTPError as exc:
            failures.append(f"{type(exc).__name__}: {exc}")
            return False
        if answer.status_code != wanted:
            failures.append(f"{answer.status_code}: {answer.text[:200]}")
        return answer.status_code == wanted

    try:
        figures = drive(sequences, act)
    finally:
        for client in clients:
            client.close()
    return figures | {"first_errors": failures[:5]}


def direct_load(url: str, actor: Actor, sequences: list[list[int | None]]) -> dict[str, Any]:
    """The baseline: the same sequences calling save_form and subject_matrix in this process."""
    db = Database(url)

    def act(user: int, subject: int | None) -> bool:
        now = dt.datetime.now(dt.UTC)
        if subject is None:
            subject_matrix(db, actor, now=now)
        else:
            save_form(db, actor, subject_id=subject, form_code="PASI", item_values=PASI, status="complete", now=now)
        return True

    try:
        return drive(sequences, act)
    finally:
        db.dispose()


def matrix_statements(url: str, actor: Actor) -> dict[str, int]:
    """SQL statements one subject_matrix call sends (a before_cursor_execute listener), its rows and its seconds
    with nothing else running (the counting listener included)."""
    db = Database(url)
    count = 0

    def counted(*_: Any) -> None:
        nonlocal count
        count += 1

    try:
        subject_matrix(db, actor, now=dt.datetime.now(dt.UTC))  # warm: protocol and caches as in a served app
        event.listen(db.engine, "before_cursor_execute", counted)
        began = time.perf_counter()
        matrix = subject_matrix(db, actor, now=dt.datetime.now(dt.UTC))
        alone = time.perf_counter() - began
        event.remove(db.engine, "before_cursor_execute", counted)
    finally:
        db.dispose()
    return {"statements": count, "rows": len(matrix.rows), "seconds_alone": round(alone, 3)}


def run(subjects: int = 1000, users: int = 32, requests: int = 20, matrix_every: int = 10) -> dict[str, Any]:
    """Build the studies, measure the HTTP load and the direct baseline, count the matrix statements."""
    load_start = load_average()
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'study.db'}"
        began = time.perf_counter()
        actor, ids = build_study(url, subjects)
        build_seconds = time.perf_counter() - began
        small_url = f"sqlite:///{folder / 'small.db'}"
        small_actor, _ = build_study(small_url, 10)
        sequences = plan(users, requests, matrix_every, ids)
        token = api_token(url)
        with serving(url, folder) as base:
            http = http_load(base, token, sequences)
        direct = direct_load(url, actor, sequences)
        statements = {str(subjects): matrix_statements(url, actor), "10": matrix_statements(small_url, small_actor)}
    constant = statements[str(subjects)]["statements"] == statements["10"]["statements"]
    tail = http["all"]["p99_over_p50"]
    return {
        "metric": "web_requests_per_s",
        "value": http["per_s"],
        "baseline": direct["per_s"],
        "ratio": round(http["per_s"] / direct["per_s"], 3),
        "unit": "requests/s",
        "scale": subjects,
        "scale_means": "subjects in the study (the subject matrix shows every one)",
        "goal": f"zero errors; p99 < {GOAL_TAIL} x p50 over every HTTP request; matrix in a constant number of "
        "statements",
        "goal_met": http["errors"] == 0 and tail < GOAL_TAIL and constant,
        "errors": http["errors"],
        "p50_ms": http["all"]["p50_ms"],
        "p99_ms": http["all"]["p99_ms"],
        "p99_over_p50": tail,
        "matrix_statements": statements[str(subjects)]["statements"],
        "matrix_statements_constant": constant,
        "matrix_statements_by_subjects": statements,
        "users": users,
        "requests_per_user": requests,
        "matrix_every": matrix_every,
        "study_build": {
            "seconds": round(build_seconds, 2),
            "visits_per_subject": len(load_builtin(PROTOCOL).visits),
            "how": "subjects and planned visits added through the service unit of work, in one unit",
        },
        "http": http,
        "direct": direct,
        "machine": machine(load_start),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subjects", type=int, default=1000, help="subjects in the study")
    parser.add_argument("--users", type=int, default=32, help="concurrent simulated users")
    parser.add_argument("--requests", type=int, default=20, help="requests per user")
    parser.add_argument("--matrix-every", type=int, default=10, help="every N-th request opens the subject matrix")
    parser.add_argument("--smoke", action="store_true", help="a tiny run: figures mean nothing")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.smoke:
        args.subjects, args.users, args.requests, args.matrix_every = 40, 4, 5, 5
    if min(args.subjects, args.users, args.requests, args.matrix_every) < 1:
        parser.error("--subjects, --users, --requests and --matrix-every must be at least 1")
    result = run(args.subjects, args.users, args.requests, args.matrix_every)
    write(args.output, result)
    for name in ("http", "direct"):
        part = result[name]
        print(f"{name:6}: {part['requests']} requests by {part['users']} users in {part['seconds']} s = "
              f"{part['per_s']} /s, errors {part['errors']}; all {part['all']}; saves {part['form_saves']}; "
              f"matrix {part['matrix']}")  # fmt: skip
    print(
        f"ratio HTTP/direct {result['ratio']}; p99/p50 {result['p99_over_p50']} (goal < {GOAL_TAIL}); matrix "
        f"statements {result['matrix_statements_by_subjects']}; {'goal met' if result['goal_met'] else 'goal NOT met'}."
        f" Written to {args.output}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
