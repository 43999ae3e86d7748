"""The validation pack: a requirements catalogue, a pytest plugin that records what each test proves and how it ended,
and a generator that writes ``docs/validation/`` (traceability matrix, test results, installation check).

It ships with the package so that a site can regenerate the pack on its own installation (``make validation`` in a
checkout; ``python -m dermtrial.validation`` on the results of any pytest run made with the plugin).
"""

from __future__ import annotations

from dermtrial.validation.catalogue import Requirement, load_catalogue

__all__ = ["Requirement", "load_catalogue"]
