"""``python -m dermtrial.validation --results RUN.json --doctor DOCTOR.json --out docs/validation``.

Exit 0 when every requirement is proved and every test passed, 1 when one is not, 2 on unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dermtrial.errors import InvalidInput
from dermtrial.validation.catalogue import load_catalogue
from dermtrial.validation.generate import FAILING, read_json, write_pack


def main(argv: list[str] | None = None) -> int:
    """Generate the pack; see the module docstring for the exit codes."""
    parser = argparse.ArgumentParser(prog="python -m dermtrial.validation", description=__doc__)
    parser.add_argument("--results", type=Path, required=True, help="the plugin's JSON (--requirements-json)")
    parser.add_argument("--doctor", type=Path, required=True, help="the output of dermtrial doctor --json")
    parser.add_argument("--doctor-command", default="dermtrial doctor --json", help="how the doctor was run")
    parser.add_argument("--out", type=Path, required=True, help="the folder to write (docs/validation)")
    args = parser.parse_args(argv)
    try:
        record = read_json(args.results)
        doctor = read_json(args.doctor)
        catalogue = load_catalogue()
    except (OSError, json.JSONDecodeError, InvalidInput) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not isinstance(record, dict) or "tests" not in record or not isinstance(doctor, dict) or "checks" not in doctor:
        wanted = "--results needs the plugin's record and --doctor the output of dermtrial doctor --json"
        print(f"error: {wanted}", file=sys.stderr)
        return 2
    counts = write_pack(catalogue, record, doctor, args.doctor_command, args.out)
    failed_tests = sum(1 for test in record["tests"] if test["outcome"] in FAILING)
    summary = ", ".join(f"{count} {name.lower()}" for name, count in sorted(counts.items()))
    print(f"{args.out}: {len(catalogue)} requirements ({summary}); {len(record['tests'])} tests, {failed_tests} failed")
    complete = counts.get("PROVED", 0) == len(catalogue)
    return 0 if complete and failed_tests == 0 and doctor.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
