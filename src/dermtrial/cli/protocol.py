"""``dermtrial protocol …``: list, show, validate, schema, import-ctgov."""

from __future__ import annotations

import typer

app = typer.Typer(help="Protocol files: list, show, validate, JSON Schema, import from ClinicalTrials.gov.")
