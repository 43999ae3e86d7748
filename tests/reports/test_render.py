"""write_report: the figures open and are not blank, the HTML shows the endpoints' numbers by the display rule, in
accessible markup, and the PDF has non-empty A4 pages with the protocol id and the data hash in its text."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from dermtrial.reports.model import ReportInput
from dermtrial.reports.render import ReportFiles, write_report
from tests.reports import builders
from tests.reports.pages import non_white_fraction, pdf_pages, pdf_text, read_page

FIXED_HEADINGS = (
    "Primary endpoint: PASI improvement at week 12",
    "Responders: PASI50, PASI75, PASI90 and PASI100",
    "Change from baseline",
    "Methods",
    "Subjects with a missing or out-of-window week-12 value",
)
A4_POINTS = (595, 842)


@pytest.fixture(scope="module")
def eight(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    return write_report(tmp_path_factory.mktemp("eight"), builders.report_eight())


def _figures_open_and_are_not_blank(files: ReportFiles) -> None:
    assert files.figures
    for path in files.figures:
        pixels = imread(path)
        assert pixels.ndim == 3, path
        assert pixels.shape[0] > 200, path
        assert pixels.shape[1] > 600, path
        assert non_white_fraction(np.asarray(pixels[:, :, :3] * 255, dtype=np.uint8)) > 0.01, path


def test_the_report_folder_holds_html_pdf_and_figures(eight: ReportFiles) -> None:
    folder = eight.html.parent
    assert eight.html == folder / "report.html"
    assert eight.pdf == folder / "report.pdf"
    names = sorted(p.name for p in (folder / "figures").iterdir())
    assert names == sorted(p.name for p in eight.figures)
    assert names == ["labs-01-alt.png", "labs-02-calcium.png", "pasi-over-time.png", "responders.png", "waterfall.png"]
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []  # no staging left behind
    _figures_open_and_are_not_blank(eight)


@pytest.mark.requirement("CLIN-ANA-03")
def test_the_primary_tables_show_the_endpoints_rounded_by_the_display_rule(eight: ReportFiles) -> None:
    page = read_page(eight.html)
    per_subject = page.table("Per-subject PASI at baseline and week 12")
    assert per_subject.header == ["Subject", "Baseline PASI", "Week-12 PASI", "Week-12 study day", "Improvement (%)"]
    assert per_subject.rows == [
        ["01-001", "20.0", "2.0", "85", "90.0"],
        ["01-002", "15.0", "7.5", "84", "50.0"],
        ["01-003", "12.0", "3.0", "86", "75.0"],
        ["01-004", "30.0", "0.0", "85", "100.0"],
        ["01-005", "18.0", "12.0", "88", "33.3"],
        ["01-006", "10.0", "12.0", "82", "-20.0"],
        ["01-007", "24.0", "—", "—", "—"],
        ["01-008", "0.0", "0.0", "85", "—"],
    ]
    summary = dict(map(tuple, page.table("PASI improvement at week 12 (%): summary").rows))
    assert summary == {
        "n (computable improvement)": "6",
        "Number missing": "2",
        "Mean": "54.7",
        "Standard deviation": "45.3",  # 45.25: half away from zero
        "95 % CI of the mean (t)": "7.2 to 102.2",
        "Median": "62.5",
        "Minimum": "-20.0",
        "Maximum": "100.0",
    }


def test_responders_and_change_from_baseline_show_the_endpoints(eight: ReportFiles) -> None:
    page = read_page(eight.html)
    assert page.table("Responders at week 12").rows == [
        ["PASI50", "4", "6", "66.7 %", "22.3 % to 95.7 %"],
        ["PASI75", "3", "6", "50.0 %", "11.8 % to 88.2 %"],
        ["PASI90", "2", "6", "33.3 %", "4.3 % to 77.7 %"],
        ["PASI100", "1", "6", "16.7 %", "0.4 % to 64.1 %"],
    ]
    assert dict(map(tuple, page.table("Change in PASI from baseline to week 12").rows)) == {
        "Mean change (PASI points)": "-8.3",  # -8.25 away from zero
        "Wilcoxon signed-rank p (exploratory)": "0.06250",
        "Hodges–Lehmann estimate (PASI points)": "-7.8",
    }


def test_the_missing_list_names_each_subject_and_why(eight: ReportFiles) -> None:
    rows = read_page(eight.html).table("Subjects without a computable improvement").rows
    assert rows == [
        ["01-007", "24.0", "—", "week-12 value out of window (days 82–88)", "day 92: PASI 6.0"],
        ["01-008", "0.0", "0.0", "baseline PASI 0: improvement not computable", "—"],
    ]


def test_every_section_heading_exists_in_order_and_headings_never_skip_a_level(eight: ReportFiles) -> None:
    page = read_page(eight.html)
    assert page.lang == "en"
    assert page.scripts == 0
    h2 = [text for level, text in page.headings if level == 2]
    assert h2 == [
        "Contents",
        "Analysis populations",
        "Disposition",
        *FIXED_HEADINGS[:3],
        "Secondary endpoints",
        "Safety",
        *FIXED_HEADINGS[3:],
    ]
    assert page.headings[0] == (1, builders.TITLE)
    levels = [level for level, _ in page.headings]
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels))


def test_tables_have_scoped_headers_and_images_alt_text_and_are_embedded(eight: ReportFiles) -> None:
    page = read_page(eight.html)
    for table in page.tables:
        assert table.caption, table
        assert set(table.header_scopes) <= {"col"}, table.caption
        assert set(table.row_scopes) <= {"row"}, table.caption
        assert table.header_scopes or table.row_scopes, table.caption
    assert len(page.images) == len(eight.figures)
    for image in page.images:
        assert str(image["src"]).startswith("data:image/png;base64,")
        assert image["alt"]
        assert len(str(image["alt"])) > 30
    waterfall = next(i for i in page.images if "Bar chart of the PASI improvement" in str(i["alt"]))
    assert "6 subjects" in str(waterfall["alt"])
    assert "01-004 (100.0 %)" in str(waterfall["alt"])


def test_section_text_is_escaped(eight: ReportFiles) -> None:
    html = eight.html.read_text(encoding="utf-8")
    assert "Adverse events by term &amp; grade &lt;as reported&gt;." in html
    assert "<as reported>" not in html


@pytest.mark.requirement("CLIN-ANA-04")
def test_the_title_page_names_protocol_data_cut_and_hashes(eight: ReportFiles) -> None:
    facts = dict(map(tuple, read_page(eight.html).table("Report identity").rows))
    assert facts["Protocol"] == "NCT03392311, version 1.2"
    assert facts["Data cut"] == "cut-2020-03, taken 2020-03-20T08:00:00+00:00"
    assert facts["Snapshot SHA-256"] == builders.SNAPSHOT_HASH
    assert facts["Data SHA-256"] == builders.DATA_HASH
    assert facts["Software"] == "dermtrial 0.1.0"


def test_the_pdf_pages_are_a4_not_blank_and_carry_protocol_and_hash(eight: ReportFiles) -> None:
    pages = pdf_pages(eight.pdf)
    assert 5 <= len(pages) <= 12
    for index, pixels in enumerate(pages):
        assert non_white_fraction(pixels) > 0.005, f"page {index + 1} is blank"
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(eight.pdf))
    assert tuple(round(v) for v in document[0].get_size()) == A4_POINTS
    document.close()
    text = pdf_text(eight.pdf)
    assert builders.DATA_HASH in text.replace("\r\n", "").replace("\n", "")
    for number, page_text in enumerate(text.split("\f"), start=1):
        assert "NCT03392311" in page_text, f"no header on page {number}"
        assert f"Page {number} of {len(pages)}" in page_text
    assert "Subjects with a missing or out-of-window week-12 value" in text


@pytest.mark.parametrize(
    "report",
    [
        pytest.param(builders.report_eight(sections=False, labs=False, data_cut=False), id="n8-plain"),
        pytest.param(builders.report_one(), id="n1"),
        pytest.param(builders.report_zero(), id="n0"),
        pytest.param(builders.report_zero(labs=True), id="n0-empty-labs"),
    ],
)
def test_every_shape_of_input_gives_a_complete_report(tmp_path: Path, report: ReportInput) -> None:
    files = write_report(tmp_path, report)
    _figures_open_and_are_not_blank(files)
    page = read_page(files.html)
    h2 = [text for level, text in page.headings if level == 2]
    assert h2 == [
        "Contents",
        *FIXED_HEADINGS[:3],
        *(("Laboratory values over time",) if report.labs is not None else ()),
        *FIXED_HEADINGS[3:],
    ]
    facts = dict(map(tuple, page.table("Report identity").rows))
    assert ("Data cut" in facts) is (report.data_cut is not None)
    pages = pdf_pages(files.pdf)
    assert 2 <= len(pages) <= 10
    assert all(non_white_fraction(p) > 0.005 for p in pages)
    assert builders.DATA_HASH in pdf_text(files.pdf).replace("\n", "").replace("\r", "")


def test_no_subject_gives_no_evaluable_data_figures_and_dashes(tmp_path: Path) -> None:
    files = write_report(tmp_path, builders.report_zero(labs=True))
    assert [p.name for p in files.figures] == ["waterfall.png", "pasi-over-time.png", "responders.png", "labs.png"]
    page = read_page(files.html)
    assert all("no evaluable data" in str(i["alt"]) for i in page.images)
    summary = dict(map(tuple, page.table("PASI improvement at week 12 (%): summary").rows))
    assert summary["n (computable improvement)"] == "0"
    assert summary["Mean"] == "—"
    assert page.table("Per-subject PASI at baseline and week 12").rows == [["No rows."]]


def test_one_subject_shows_its_values_and_no_sd(tmp_path: Path) -> None:
    files = write_report(tmp_path, builders.report_one())
    page = read_page(files.html)
    assert page.table("Per-subject PASI at baseline and week 12").rows == [["01-001", "12.5", "3.1", "85", "75.2"]]
    summary = dict(map(tuple, page.table("PASI improvement at week 12 (%): summary").rows))
    assert summary["Standard deviation"] == "—"
    assert summary["95 % CI of the mean (t)"] == "—"
    assert page.table("Subjects without a computable improvement").rows == [["No rows."]]


@pytest.mark.requirement("CLIN-ANA-04")
def test_the_same_input_gives_the_same_html_and_figures(tmp_path: Path) -> None:
    first = write_report(tmp_path / "a", builders.report_eight())
    second = write_report(tmp_path / "b", builders.report_eight())
    assert first.html.read_bytes() == second.html.read_bytes()
    for a, b in zip(first.figures, second.figures, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_a_second_report_into_the_same_folder_replaces_the_figures_and_keeps_other_files(tmp_path: Path) -> None:
    (tmp_path / "endpoints.json").write_text("{}", encoding="utf-8")
    write_report(tmp_path, builders.report_eight())
    files = write_report(tmp_path, builders.report_one())
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == sorted(p.name for p in files.figures)
    assert (tmp_path / "endpoints.json").read_text(encoding="utf-8") == "{}"


def test_keys_beyond_the_contract_are_shown_when_present(tmp_path: Path) -> None:
    report = builders.report_eight(sections=False, labs=False)
    endpoints = builders.endpoints_eight()
    endpoints["primary"]["per_subject"][6]["not_evaluable"] = "no week12 PASI in the window (study days 82–88)"
    endpoints["change_from_baseline"].update(
        n=7,
        wilcoxon_method="exact",
        wilcoxon_statistic=1.0,
        wilcoxon_n_nonzero=6,
        exploratory=True,
        label="descriptive only",
        unit="PASI points",
        not_computable=None,
    )
    endpoints.update(
        n_imputed=0,
        population={"label": "full analysis set", "n": 8},
        missing_data_statement="No value is imputed.",
    )
    files = write_report(tmp_path, replace(report, endpoints=endpoints))
    page = read_page(files.html)
    change = page.table("Change in PASI from baseline to week 12")
    assert dict(map(tuple, change.rows)) == {
        "Mean change (PASI points)": "-8.3",
        "Wilcoxon signed-rank p (exploratory)": "0.06250",
        "Hodges–Lehmann estimate (PASI points)": "-7.8",
        "n (baseline and week 12)": "7",
        "Wilcoxon method": "exact",
        "Wilcoxon statistic": "1.0",
        "Non-zero differences (Wilcoxon)": "6",
    }
    summary = dict(map(tuple, page.table("PASI improvement at week 12 (%): summary").rows))
    assert summary["Imputed"] == "0"
    missing = page.table("Subjects without a computable improvement").rows
    assert missing[0][3] == "no week12 PASI in the window (study days 82–88)"
    html = files.html.read_text(encoding="utf-8")
    assert "Population analysed: full analysis set (n = 8)." in html
    assert "Missing-data rule: observed. No value is imputed." in html
    assert "Unit: PASI points. Wilcoxon p: descriptive only." in html


def test_a_large_study_lists_200_subjects_and_says_how_many_there_are(tmp_path: Path) -> None:
    files = write_report(tmp_path, builders.report_many(1000))
    _figures_open_and_are_not_blank(files)
    page = read_page(files.html)
    listing = page.table("Per-subject PASI at baseline and week 12")
    assert len(listing.rows) == 200
    assert listing.rows[0] == ["S000000", "10.0", "0.0", "85", "100.0"]
    missing = page.table("Subjects without a computable improvement")
    assert len(missing.rows) == 100  # every tenth of 1,000
    assert missing.rows[0][0] == "S000009"
    assert missing.rows[0][4] == "day 95: PASI 9.8"  # baseline 10.9 × 9 / 10 = 9.81
    html = files.html.read_text(encoding="utf-8")
    assert "Showing the first 200 of 1,000 subjects" in html
    assert len(pdf_pages(files.pdf, scale=0.2)) < 40
