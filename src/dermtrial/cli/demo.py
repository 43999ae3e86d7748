"""``dermtrial demo``."""

from __future__ import annotations


def demo() -> None:
    """Show the built-in protocols and validate them."""
