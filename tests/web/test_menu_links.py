"""Ways in for a first-time user, on SQLite and PostgreSQL: each row of the subject matrix links to the subject's
checklist page and each cell of a scheduled visit to that visit's page (for whoever may read the subject); the menu
shows Report exactly to those the report page lets in (the same check: subjects read at every site)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient

from tests.conftest import ADMIN_PASSWORD, PASSWORD
from tests.web.conftest import Web, sign_in

LINK = re.compile(r'<a href="(/[^"]*)"')


@contextmanager
def _client(web: Web, who: str) -> Iterator[TestClient]:
    """A browser of its own, signed in as ``who``."""
    with TestClient(web.client.app, base_url="http://testserver") as client:
        sign_in(client, who, ADMIN_PASSWORD if who == "admin" else PASSWORD)
        yield client


def _matrix_links(html: str) -> list[str]:
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return LINK.findall(body)


def _visit_ids(web: Web, subject_id: int) -> set[int]:
    found = web.client.get(f"/api/v1/subjects/{subject_id}/visits", headers=web.api("stat")).json()["items"]
    return {int(v["id"]) for v in found}


def test_the_matrix_links_each_subject_to_its_checklist_and_each_scheduled_visit_to_its_page(web: Web) -> None:
    gz, sh = web.gz_subject, web.sh_subject
    gz_visits = _visit_ids(web, gz)
    assert gz_visits  # the GZ01 subject's protocol visits are scheduled
    assert _visit_ids(web, sh) == set()  # the SH02 subject's are not: its cells have nothing to open
    with _client(web, "nurse.li") as nurse:
        links = _matrix_links(nurse.get("/subjects").text)
        assert sorted(links) == sorted([f"/screening/{gz}"] + [f"/subjects/{gz}/visits/{v}" for v in gz_visits])
        for target in links:  # every link opens for the coordinator who reads the row
            assert nurse.get(target).status_code == 200, target
    with _client(web, "stat") as stat:  # every site: both rows, the SH02 row with its checklist link only
        links = _matrix_links(stat.get("/subjects").text)
        assert sorted(links) == sorted(
            [f"/screening/{gz}", f"/screening/{sh}"] + [f"/subjects/{gz}/visits/{v}" for v in gz_visits]
        )
        for target in links:
            assert stat.get(target).status_code == 200, target


def test_a_matrix_cell_link_names_the_subject_the_visit_and_the_state(web: Web) -> None:
    with _client(web, "nurse.li") as nurse:
        html = nurse.get("/subjects").text
    visit = min(_visit_ids(web, web.gz_subject))
    anchor = re.search(rf'<a href="/subjects/{web.gz_subject}/visits/{visit}" aria-label="([^"]+)">([^<]+)</a>', html)
    assert anchor is not None
    label, text = anchor.groups()
    assert label.endswith(f": {text}")  # "<subject>, <visit>: <state>", the state being the cell's text
    assert label.split(",")[0] in html[: anchor.start()]  # the row's subject number heads the row


def test_the_menu_shows_report_to_exactly_who_may_open_the_report(web: Web) -> None:
    shown: dict[str, bool] = {}
    for who in web.people:
        with _client(web, who) as client:
            page = client.get("/account/password").text  # a page every user may open
            menu = page[page.index("<nav") : page.index("</nav>")]
            shown[who] = 'href="/report"' in menu
            assert shown[who] == (client.get("/report").status_code == 200), who
    # the statistician reads every site; site staff, the site monitor and the administrator do not
    assert shown == {"nurse.li": False, "dr.wang": False, "nurse.wu": False, "mon": False, "stat": True, "admin": False}


def test_the_report_menu_entry_is_marked_current_on_the_report_page(web: Web) -> None:
    with _client(web, "stat") as stat:
        page = stat.get("/report").text
    assert '<a href="/report" aria-current="page">' in page
