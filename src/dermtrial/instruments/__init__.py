"""Clinical instruments: exact, pure scoring functions with their items, reference data and metadata.

One module per instrument; each has an items model (pydantic, strict, with bounds), a ``score_*`` function
returning a result object (the value or "not computable" with the reason, flags, scoring version) and
``METADATA`` for the forms and the exports. Reference data (weights, bands, reverse items, cut-offs) lives in
``data/*.yaml`` with its source.

The registry :data:`INSTRUMENTS` maps the command-line names to all of that; :data:`INSTRUMENT_NAMES` is the
set of names a protocol file may use for a form's ``instrument:``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

from dermtrial.instruments import bsa, dlqi, itch, pasi, pasi_response, spga, zung
from dermtrial.instruments._metadata import InstrumentInfo, ItemInfo
from dermtrial.instruments._types import StrictModel
from dermtrial.instruments.bsa import BsaInput, BsaResult, score_bsa
from dermtrial.instruments.dlqi import DlqiAnswers, DlqiResult, score_dlqi
from dermtrial.instruments.itch import ItchInput, ItchResult, score_itch
from dermtrial.instruments.pasi import PasiItems, PasiRegion, PasiResult, score_pasi
from dermtrial.instruments.pasi_response import PasiPair, PasiResponseResult, score_pasi_response
from dermtrial.instruments.spga import SpgaInput, SpgaResult, score_spga
from dermtrial.instruments.zung import ZungAnswers, ZungResult, score_zung_sas, score_zung_sds


class ScoreResult(Protocol):
    """What every ``score_*`` returns: a scoring version and the JSON object of the command-line contract."""

    @property
    def version(self) -> str: ...

    def to_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Instrument:
    """One entry of the registry: input model, scoring function and metadata."""

    name: str
    input_model: type[StrictModel]
    score: Callable[[Any], ScoreResult]
    metadata: InstrumentInfo

    def validate_and_score(self, data: object) -> ScoreResult:
        """Validate one raw input object with the strict model and score it (raises pydantic's
        ValidationError)."""
        return self.score(self.input_model.model_validate(data))

    def input_from_form_items(self, values: Mapping[str, Any], **options: Any) -> dict[str, Any]:
        """The scorer's input object from a form's flat item values (item code → value; None = unanswered).

        A questionnaire whose model takes an ordered ``items`` list (Zung SAS and SDS: items ``SAS01``…``SAS20``) gets
        its answers in questionnaire order, an unanswered item as null; any other instrument nests its dotted codes
        (``head.erythema`` → ``{"head": {"erythema": …}}``) and gives a required question left out as null
        (DLQI). ``options`` are further
        fields of the model that come from the protocol, not the form (the Zung ``conversion``).
        """
        if "items" in self.input_model.model_fields:
            return {"items": [values.get(item.code) for item in self.metadata.items], **options}
        nested: dict[str, Any] = {}
        for code, value in values.items():
            if value is None:
                continue
            *parents, leaf = code.split(".")
            target = nested
            for part in parents:
                target = target.setdefault(part, {})
            target[leaf] = value
        # An item of a required question left out of the form is unanswered (null), so that the scorer applies its own
        # rule for unanswered items (DLQI: one scores 0, two make the total not computable) instead of a refusal.
        fields = self.input_model.model_fields
        for item in self.metadata.items:
            top = item.code.split(".")[0]
            if top in fields and fields[top].is_required():
                nested.setdefault(top, None)
        return {**nested, **options}


INSTRUMENTS: Mapping[str, Instrument] = MappingProxyType(
    {
        "pasi": Instrument("pasi", PasiItems, score_pasi, pasi.METADATA),
        "pasi-response": Instrument("pasi-response", PasiPair, score_pasi_response, pasi_response.METADATA),
        "bsa": Instrument("bsa", BsaInput, score_bsa, bsa.METADATA),
        "spga": Instrument("spga", SpgaInput, score_spga, spga.METADATA),
        "dlqi": Instrument("dlqi", DlqiAnswers, score_dlqi, dlqi.METADATA),
        "itch": Instrument("itch", ItchInput, score_itch, itch.METADATA),
        "zung-sas": Instrument("zung-sas", ZungAnswers, score_zung_sas, zung.METADATA_SAS),
        "zung-sds": Instrument("zung-sds", ZungAnswers, score_zung_sds, zung.METADATA_SDS),
    }
)
"""Command-line name → instrument, in the order the docs list them."""

INSTRUMENT_NAMES: frozenset[str] = frozenset(INSTRUMENTS)
"""The names a protocol form may give as ``instrument:``."""

__all__ = [
    "INSTRUMENTS",
    "INSTRUMENT_NAMES",
    "BsaInput",
    "BsaResult",
    "DlqiAnswers",
    "DlqiResult",
    "Instrument",
    "InstrumentInfo",
    "ItchInput",
    "ItchResult",
    "ItemInfo",
    "PasiItems",
    "PasiPair",
    "PasiRegion",
    "PasiResponseResult",
    "PasiResult",
    "ScoreResult",
    "SpgaInput",
    "SpgaResult",
    "ZungAnswers",
    "ZungResult",
    "score_bsa",
    "score_dlqi",
    "score_itch",
    "score_pasi",
    "score_pasi_response",
    "score_spga",
    "score_zung_sas",
    "score_zung_sds",
]
