"""Which protocol forms a visit expects of a subject, and which of them are still missing.

The protocol lists forms per visit. For one subject's visit, each listed form is decided from three things:

1. **Does it apply?** The form's ``applies_when`` evaluated on the subject's stored values
   (:func:`dermtrial.forms.conditions.evaluate_applies`): ``False`` → not expected (a pregnancy test for a man);
   ``True`` → expected; ``None`` (not decidable yet, e.g. demographics not entered) → expected: the conservative
   answer, so that nothing due is hidden until the facts are in.
2. **Its form instance**, if any: its status (``not-started`` … ``locked``, ``not-done``).
3. **Records of its own**: some forms are kept by a dedicated service as rows of their own rather than as a form
   instance (laboratory results for ``LB``, ointment tubes for ``OINT``, the consent for ``IC``). Such records
   count as the form done.

An expected form is **missing** when it has no record of its own and its instance is absent, ``not-started`` or
``in-progress`` (:func:`dermtrial.conduct.is_missing`). A form that does not apply is never missing.

======  ==========  ===================  ===================  ========  ========
form    applies     instance             own records          expected  missing
======  ==========  ===================  ===================  ========  ========
PREG    ``False``   none                 none                 no        no
PREG    ``None``    none                 none                 yes       yes
PREG    ``True``    ``complete``         none                 yes       no
LB      ``True``    none                 lab results          yes       no
OINT    ``True``    ``in-progress``      tube weighings       yes       no
PASI    ``True``    ``in-progress``      none                 yes       yes
======  ==========  ===================  ===================  ========  ========
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dermtrial.conduct.form_status import is_missing


@dataclass(frozen=True)
class FormEvidence:
    """What the store holds for one protocol form at one visit of a subject."""

    status: str | None = None
    """The status of its form instance (None: no instance)."""
    recorded_as: str | None = None
    """The records of its own that stand for it (e.g. ``"3 laboratory results"``), None when there are none."""


@dataclass(frozen=True)
class ExpectedForm:
    """The decision for one form the protocol lists at a visit."""

    form: str
    """The form code."""
    applies: bool | None
    """Its ``applies_when`` for this subject: True, False, or None when not decidable yet."""
    status: str | None
    """The status of its form instance (None: no instance)."""
    recorded_as: str | None
    """The records of its own that count as the form done, if any."""

    @property
    def expected(self) -> bool:
        """The visit expects it: it applies, or it cannot be decided yet (conservative)."""
        return self.applies is not False

    @property
    def missing(self) -> bool:
        """Expected and not done: no record of its own and no done instance."""
        return self.expected and self.recorded_as is None and is_missing(self.status)


def decide_visit_forms(
    forms: Sequence[str], evidence: Mapping[str, FormEvidence], applies: Mapping[str, bool | None]
) -> list[ExpectedForm]:
    """One decision per form listed at the visit, in the protocol's order.

    ``evidence`` maps a form code to what the store holds at this visit (absent: nothing); ``applies`` maps a form
    code to its ``applies_when`` verdict for the subject (absent: the form has no condition, so it applies).
    """
    out: list[ExpectedForm] = []
    for code in forms:
        held = evidence.get(code, FormEvidence())
        out.append(ExpectedForm(code, applies.get(code, True), held.status, held.recorded_as))
    return out
