"""Analysis core: the PASI endpoints of a study from a long table of assessments (pure: values in, values out).

Public surface (documented in docs/analysis.md):

- :func:`dermtrial.analysis.input.read_assessments_csv` reads and checks the long CSV of ``dermtrial analyze``;
  :class:`dermtrial.analysis.input.AnalysisInputError` lists every fault with its line and column.
- :func:`analyse_pasi` computes endpoints.json, the PASI rows for the figures and the methods paragraphs
  (:class:`PasiAnalysis`), from that frame or from the same frame built from the study database.
- :func:`dermtrial.analysis.output.endpoints_json_bytes` writes the canonical endpoints.json bytes.

Modules: ``input`` (CSV), ``timepoints`` (study day, baseline, week 12), ``missing`` (observed / nri / locf),
``stats`` (t interval, Clopper–Pearson, Wilcoxon, Hodges–Lehmann), ``endpoints`` (the results), ``methods`` (the
rules in words), ``output`` (canonical bytes and the data hash). The study-database modules (ADSL, ADaM,
populations, disposition, safety tables) live beside them.
"""

from __future__ import annotations

from dermtrial.analysis.endpoints import PasiAnalysis, analyse_pasi

__all__ = ["PasiAnalysis", "analyse_pasi"]
