"""A pytest plugin that records, per test, its outcome and its ``requirement`` markers in one JSON file.

Load it with ``-p dermtrial.validation.plugin --requirements-json PATH`` (``make validation`` does). Without the option
it records nothing. The file is written when the session ends; the generator (``python -m dermtrial.validation``)
reads it. It holds: when the run started and ended, the command line, the machine, the versions that matter, pytest's
exit status and one row per test: node id, outcome (passed, failed, error, skipped, xfailed, xpassed), duration in
seconds, requirement ids and, for a failure, the first line of the reason.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import platform
from pathlib import Path
from typing import Any

import pytest

OPTION = "--requirements-json"
VERSIONS_OF = ("dermtrial", "pytest", "hypothesis", "sqlalchemy", "alembic", "psycopg", "weasyprint", "tzdata")


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--requirements-json PATH``: where to write the per-test record."""
    parser.addoption(OPTION, default=None, help="dermtrial validation: write outcomes and requirement markers here.")


def machine() -> dict[str, Any]:
    """What the run ran on."""
    return {
        "node": platform.node(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
    }


def versions() -> dict[str, str]:
    """Installed versions of the packages that decide the results."""
    out: dict[str, str] = {}
    for name in VERSIONS_OF:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


class _Recorder:
    """Registered as a plugin object for one session."""

    def __init__(self, path: Path, args: list[str]) -> None:
        self.path = path
        self.args = args
        self.started = dt.datetime.now(dt.UTC)
        self.requirements: dict[str, list[str]] = {}
        self.outcomes: dict[str, str] = {}
        self.durations: dict[str, float] = {}
        self.reasons: dict[str, str] = {}
        self.selection: dict[str, Any] = {}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Note each selected test's requirement ids."""
        for item in session.items:
            ids: list[str] = []
            for marker in item.iter_markers("requirement"):
                ids.extend(str(arg) for arg in marker.args)
            self.requirements[item.nodeid] = sorted(set(ids))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep each test's outcome (setup and teardown failures count as errors)."""
        nodeid = report.nodeid
        self.durations[nodeid] = self.durations.get(nodeid, 0.0) + report.duration
        previous = self.outcomes.get(nodeid)
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
        elif report.when == "call":
            outcome = report.outcome
        elif report.failed:
            outcome = "error"
        elif report.skipped:
            outcome = "skipped"
        else:
            outcome = previous or "passed"
        if previous in {"failed", "error"}:
            return
        self.outcomes[nodeid] = outcome
        if report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            text = str(getattr(crash, "message", None) or report.longrepr or "").strip()
            self.reasons[nodeid] = " ".join(text.split())[:300]

    def pytest_sessionfinish(self, exitstatus: int) -> None:
        """Write the record (through a temporary file, so a reader never sees half of it)."""
        tests = [
            {
                "nodeid": nodeid,
                "outcome": self.outcomes.get(nodeid, "not run"),
                "duration": round(self.durations.get(nodeid, 0.0), 3),
                "requirements": ids,
                **({"reason": self.reasons[nodeid]} if nodeid in self.reasons else {}),
            }
            for nodeid, ids in self.requirements.items()
        ]
        body = {
            "started": self.started.isoformat(timespec="seconds"),
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": ["pytest", *self.args],
            "exit_status": int(exitstatus),
            "selection": self.selection,
            "machine": machine(),
            "versions": versions(),
            "tests": tests,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(self.path.suffix + ".partial")
        partial.write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        partial.replace(self.path)


def pytest_configure(config: pytest.Config) -> None:
    """Register the recorder when ``--requirements-json`` is given."""
    target = config.getoption(OPTION)
    if target:
        recorder = _Recorder(Path(target), list(config.invocation_params.args))
        recorder.selection = {
            "paths": [str(arg) for arg in config.args],
            "testpaths": [str(path) for path in config.getini("testpaths")],
            "markexpr": config.getoption("markexpr", "") or "",
            "keyword": config.getoption("keyword", "") or "",
        }
        config.pluginmanager.register(recorder, "dermtrial-trace")
