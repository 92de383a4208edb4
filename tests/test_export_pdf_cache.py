"""A PDF is printed once per version: WeasyPrint takes seconds for a long report, so the
file is kept in the exports cache under its entity tag, and a new version (or a change of
what the PDF shows) prints afresh. The caller's right to read is checked before the cache."""

import pytest

from hindsight.postmortems import export_formats

pytest.importorskip("weasyprint")


@pytest.fixture
def printed(monkeypatch):
    """Each PDF actually printed, by the title of its report."""
    titles = []
    real = export_formats.to_pdf

    def counting(postmortem, site=None):
        titles.append(postmortem.title)
        return real(postmortem, site)

    monkeypatch.setattr(export_formats, "to_pdf", counting)
    return titles


def _pdf(api, pm_id):
    return api.get(f"/api/postmortems/{pm_id}/export?format=pdf")


def test_a_version_is_printed_once_and_a_new_version_afresh(alice, api_for, postmortem, printed):
    api = api_for(alice)
    first = _pdf(api, postmortem["id"])
    again = _pdf(api, postmortem["id"])
    assert first.status_code == again.status_code == 200
    assert first.content.startswith(b"%PDF") and again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert printed == [postmortem["title"]]

    patched = api.patch(
        f"/api/postmortems/{postmortem['id']}",
        {"title": "Pool exhaustion, retitled"},
        headers={"If-Match": f'"{postmortem["version"]}"'},
    )
    assert patched.status_code == 200, patched.content
    renewed = _pdf(api, postmortem["id"])
    assert renewed["ETag"] != first["ETag"]
    assert printed == [postmortem["title"], "Pool exhaustion, retitled"]


def test_a_change_of_the_incident_prints_afresh(alice, api_for, postmortem, printed):
    api = api_for(alice)
    _pdf(api, postmortem["id"])
    changed = api.patch("/api/incidents/inc_123", {"severity": "SEV1"})
    assert changed.status_code == 200, changed.content
    _pdf(api, postmortem["id"])
    assert len(printed) == 2


def test_a_kept_pdf_is_still_not_shown_to_who_may_not_read_the_report(
    alice, carol, api_for, postmortem, printed
):
    assert _pdf(api_for(alice), postmortem["id"]).status_code == 200  # alice's draft, kept
    refused = _pdf(api_for(carol), postmortem["id"])
    assert refused.status_code == 404
    assert b"%PDF" not in refused.content


def test_a_page_too_long_to_print_is_refused_before_weasyprint_is_asked(
    alice, api_for, postmortem, settings, monkeypatch
):
    import weasyprint

    settings.PDF_MAX_CHARS = 10_000
    api = api_for(alice)
    patched = api.patch(
        f"/api/postmortems/{postmortem['id']}",
        {"summary": "The pool ran dry. " * 1_000},
        headers={"If-Match": f'"{postmortem["version"]}"'},
    )
    assert patched.status_code == 200, patched.content
    monkeypatch.setattr(weasyprint, "HTML", lambda *a, **k: pytest.fail("laid out"))
    refused = _pdf(api, postmortem["id"])
    assert refused.status_code == 422
    body = refused.json()
    assert body["error"] == "too_long_to_print"
    assert "HINDSIGHT_PDF_MAX_CHARS" in body["message"] and "10,000" in body["message"]
    assert body["fields"] == {"format": "pdf of at most 10,000 characters"}
    # The other formats still export it.
    assert api.get(f"/api/postmortems/{postmortem['id']}/export?format=html").status_code == 200
