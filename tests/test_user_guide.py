"""The user guide (docs/user-guide.md) shows only screenshots that exist, shows every walkthrough screenshot the
browser test takes, links only to documents that exist, and its practice-study commands run; the README lists it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "user-guide.md"
SCREENSHOTS = ROOT / "docs" / "screenshots"
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s#]+)(?:#[^)]*)?\)")


def _links() -> list[str]:
    return [target for target in LINK.findall(GUIDE.read_text(encoding="utf-8")) if "://" not in target]


def test_every_screenshot_the_guide_shows_exists() -> None:
    shown = [target for target in _links() if target.startswith("screenshots/")]
    assert shown, "the user guide shows no screenshot"
    assert [target for target in shown if not (GUIDE.parent / target).is_file()] == []


def test_the_guide_shows_every_walkthrough_screenshot() -> None:
    taken = sorted(path.name for path in SCREENSHOTS.glob("walkthrough-*.png"))
    shown = {Path(target).name for target in _links()}
    assert taken, "no walkthrough screenshot: run make docs"
    assert [name for name in taken if name not in shown] == []


def test_every_document_the_guide_links_to_exists() -> None:
    documents = [target for target in _links() if not target.startswith("screenshots/")]
    assert [target for target in documents if not (GUIDE.parent / target).exists()] == []


def test_the_readme_lists_the_user_guide() -> None:
    assert "docs/user-guide.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_practice_study_commands_of_the_guide_run(tmp_path: Path) -> None:
    """The guide's practice-study block, all but the last line (which serves until Ctrl-C), runs as written."""
    blocks = re.findall(r"```sh\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.DOTALL)
    practice = next(block for block in blocks if "dermtrial init" in block).strip().splitlines()
    assert "dermtrial serve" in practice[-1]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("DERMTRIAL_DATABASE_URL", None)
    result = subprocess.run(
        ["bash", "-e", "-c", "\n".join(practice[:-1])], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    for user, role in (("nurse.li", "coordinator"), ("dr.wang", "investigator"), ("mon", "monitor")):
        assert f"user {user} added as {role} at GZ01" in result.stdout
    assert "user lead added as data-manager" in result.stdout
    assert (tmp_path / "practice.db").is_file()
