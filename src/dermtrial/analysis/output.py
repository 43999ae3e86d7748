"""Canonical bytes: the endpoints.json file and the SHA-256 of the analysis input.

- ``endpoints.json`` is UTF-8 JSON, keys sorted, two-space indent, one final line feed, no NaN or infinity, and no
  timestamp, so the same data always give byte-identical files (the text is that of ``json.dumps(..., indent=2,
  sort_keys=True, ensure_ascii=False, allow_nan=False)``, written fast by :mod:`dermtrial.analysis.canonical_json`).
  Numbers are written as the analysis rounded them (:func:`round_float`: 10 significant digits).
- ``data_sha256`` hashes a canonical text of the input frame that does not depend on where the data came from (CSV or
  database) or on the row order: the line ``dermtrial-pasi-input-1``, then one line per row, rows sorted by subject,
  assessment date (a missing date first) and PASI, each row
  ``<length of the subject id in characters>:<subject id>,<first treatment date>,<assessment date>,<PASI in tenths>``
  with ISO dates and an empty field for a missing value, every line ending in a line feed, encoded in UTF-8. The
  length prefix keeps any subject id unambiguous.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Mapping
from typing import Any

import polars as pl

from dermtrial.analysis.canonical_json import dumps_utf8

CANONICAL_HEADER = "dermtrial-pasi-input-1"
SIGNIFICANT_DIGITS = 10


def round_float(value: float | None) -> float | None:
    """``value`` rounded to 10 significant digits (None stays None, −0.0 becomes 0.0); refuses NaN and infinity."""
    if value is None:
        return None
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number")
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}") + 0.0


def endpoints_json_bytes(endpoints: Mapping[str, Any]) -> bytes:
    """The canonical endpoints.json bytes of ``endpoints``: same mapping, same bytes, on every run."""
    return dumps_utf8(endpoints) + b"\n"


def canonical_input_bytes(assessments: pl.DataFrame) -> bytes:
    """The canonical text of the analysis input frame (see the module docstring), encoded in UTF-8.

    Each row's line is written by polars' CSV writer with no quoting: the length-prefixed subject id, then the two
    ISO dates and the PASI in tenths, an empty field for a null, "\\n" after every line.
    """
    ordered = assessments.select("subject", "first_treatment_date", "assessment_date", "pasi_tenths").sort(
        ["subject", "assessment_date", "pasi_tenths"], nulls_last=False
    )
    lines = ordered.select(
        pl.concat_str(pl.col("subject").str.len_chars().cast(pl.Utf8), pl.lit(":"), pl.col("subject")),
        "first_treatment_date",
        "assessment_date",
        "pasi_tenths",
    )
    buffer = io.BytesIO()
    buffer.write((CANONICAL_HEADER + "\n").encode("utf-8"))
    lines.write_csv(
        buffer,
        include_header=False,
        separator=",",
        line_terminator="\n",
        quote_style="never",
        null_value="",
        date_format="%Y-%m-%d",
    )
    return buffer.getvalue()


def canonical_input_text(assessments: pl.DataFrame) -> str:
    """The canonical text of the analysis input frame (see the module docstring)."""
    return canonical_input_bytes(assessments).decode("utf-8")


def data_sha256(assessments: pl.DataFrame) -> str:
    """Hex SHA-256 of :func:`canonical_input_text` encoded in UTF-8."""
    return hashlib.sha256(canonical_input_bytes(assessments)).hexdigest()
