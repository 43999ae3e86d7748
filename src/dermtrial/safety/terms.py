"""The CTCAE v5.0 adverse-event terms shipped with dermtrial (a subset, named as such in ``data/ctcae_v5_terms.yaml``).

An adverse event is coded with one of these terms (or "<SOC> - Other, specify" with a verbatim description); the
investigator's verbatim text is always kept beside it. A reaction during or after an infusion is coded "Infusion
related reaction", not also "Allergic reaction".
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

OTHER_SUFFIX = " - Other, specify"


@cache
def ctcae_terms() -> dict[str, str]:
    """Term → system organ class, in file order."""
    text = resources.files("dermtrial.safety").joinpath("data", "ctcae_v5_terms.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return {str(term): str(soc) for soc, terms in data["socs"].items() for term in terms}


def soc_of(term: str) -> str | None:
    """The system organ class of a shipped term, or of an "<SOC> - Other, specify" term; None when unknown."""
    terms = ctcae_terms()
    if term in terms:
        return terms[term]
    if term.endswith(OTHER_SUFFIX) and term.removesuffix(OTHER_SUFFIX) in set(terms.values()):
        return term.removesuffix(OTHER_SUFFIX)
    return None


def check_term(term: str) -> str | None:
    """None when ``term`` is a shipped CTCAE v5.0 term; otherwise the message saying what is allowed."""
    if soc_of(term) is not None:
        return None
    return (
        f'"{term}" is not a CTCAE v5.0 term in dermtrial\'s list: use a listed term (see dermtrial.safety.terms) '
        f'or "<system organ class>{OTHER_SUFFIX}" with a verbatim description'
    )
