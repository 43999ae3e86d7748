"""The protocol package exports a small, stable surface."""

from __future__ import annotations

import dermtrial.protocol as protocol


def test_exports_are_exactly_the_documented_names() -> None:
    assert sorted(protocol.__all__) == [
        "Protocol",
        "ValidationReport",
        "builtin_ids",
        "content_hash",
        "load_builtin",
        "load_file",
        "load_text",
        "validate_text",
    ]
    assert all(hasattr(protocol, name) for name in protocol.__all__)


def test_load_builtin_through_the_public_surface() -> None:
    loaded = protocol.load_builtin("NCT03392311")
    assert isinstance(loaded, protocol.Protocol)
    assert len(protocol.content_hash(loaded)) == 64
