"""GET /api/postmortems/{id}/export?format=markdown|html|pdf|json."""

import io
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hindsight.postmortems import export_formats

FULL = {
    "executiveSummary": "Checkout was down for **15 minutes**.",
    "detectionMethod": "Alert",
    "incidentCommander": "dana",
    "participants": ["dana", "eli"],
    "whatHappened": {"whatUsersSaw": "HTTP 500 on *every* page."},
    "impactAnalysis": {
        "users": {"totalAffected": 1200, "durationMinutes": 15},
        "business": {"revenueLoss": 4200.5, "currency": "EUR", "supportTickets": 37},
    },
    "fiveWhys": {
        "problem": "Checkout failed.",
        "whys": [{"why": "Why did queries fail?", "answer": "The pool was exhausted."}],
    },
    "contributingFactors": [{"factor": "No pool alert", "howItContributed": "Late detection."}],
    "wentWell": {"response": "Runbook was current."},
    "lessonsLearned": {"technical": "Pools need headroom."},
    "communication": [{"audience": "Customers", "message": "Status page", "channel": "web"}],
    "appendix": {
        "relatedPostmortems": ["pm_older"],
        "references": [{"label": "Dashboard", "url": "https://grafana.example.com/d/1"}],
    },
    "customSections": [{"heading": "Cost review", "body": "Spend went *up*."}],
    "tags": ["database", "checkout"],
}


@pytest.fixture
def full(alice, api_for, postmortem):
    response = api_for(alice).patch(f"/api/postmortems/{postmortem['id']}", FULL)
    assert response.status_code == 200, response.content
    return response.json()


def _export(api, pm_id, fmt=None):
    params = {"format": fmt} if fmt else None
    return api.get(f"/api/postmortems/{pm_id}/export", params=params)


@pytest.mark.parametrize(
    ("fmt", "ext", "content_type"),
    [
        (None, "md", "text/markdown; charset=utf-8"),
        ("markdown", "md", "text/markdown; charset=utf-8"),
        ("html", "html", "text/html; charset=utf-8"),
        ("pdf", "pdf", "application/pdf"),
        ("json", "json", "application/json"),
    ],
)
def test_each_format_downloads_with_its_type_and_file_name(
    alice, api_for, postmortem, fmt, ext, content_type
):
    response = _export(api_for(alice), postmortem["id"], fmt)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{postmortem["id"]}.{ext}"'
    # JSON, HTML and PDF show more than the version follows (tests/test_export_etags.py).
    if ext == "md":
        assert response["ETag"] == '"1"'
    else:
        assert response["ETag"].startswith('"1-')
    assert response.content


def test_an_unknown_format_is_refused_naming_the_allowed_ones(alice, api_for, postmortem):
    response = _export(api_for(alice), postmortem["id"], "docx")
    assert response.status_code == 422
    body = response.json()
    assert body["allowed"] == ["markdown", "html", "pdf", "json"]
    for name in ("docx", "markdown", "html", "pdf", "json"):
        assert name in body["message"]
    assert "format" in body["fields"]


def test_a_draft_cannot_be_exported_by_those_who_may_not_see_it(
    carol, make_user, api_for, postmortem
):
    for user in (carol, make_user("dave")):  # a viewer, and a member not named on it
        for fmt in ("html", "json", "pdf"):
            assert _export(api_for(user), postmortem["id"], fmt).status_code == 404
    assert _export(api_for(None), postmortem["id"], "html").status_code == 401


def test_json_is_the_record_as_get_returns_it(alice, api_for, full):
    api = api_for(alice)
    exported = json.loads(_export(api, full["id"], "json").content)
    assert exported == api.get(f"/api/postmortems/{full['id']}").json()
    assert exported["impactAnalysis"]["users"]["totalAffected"] == 1200


# HTML ----------------------------------------------------------------------------------


def test_html_is_one_standalone_page_with_every_section(alice, api_for, full):
    html = _export(api_for(alice), full["id"], "html").content.decode()
    assert html.startswith("<!DOCTYPE html>")
    assert "<style>" in html and "@page" in html
    # Standalone: no stylesheet, script, font or image from anywhere.
    for needle in ("<link", "<script", "@import", "url(", "<img"):
        assert needle not in html
    # Overview from the incident: date, duration, severity, services.
    assert "2026-03-01 14:30 UTC" in html
    assert "SEV2" in html
    assert "checkout, postgres" in html
    assert "Checkout database outage (inc_123)" in html
    # Sections, with user Markdown rendered.
    assert "<h1>Database Connection Pool Exhaustion</h1>" in html
    assert "<strong>15 minutes</strong>" in html
    assert "<em>every</em>" in html
    for text in (
        "Executive summary",
        "What users saw",
        "Five whys",
        "Why did queries fail?",
        "No pool alert",
        "Runbook was current.",
        "Pools need headroom.",
        "Customers",
        "pm_older",
        'href="https://grafana.example.com/d/1"',
        "<h2>Cost review</h2>",
        "Spend went <em>up</em>.",
        "1,200",
        "4,200.5 EUR",
        "database, checkout",
        "dana, eli",
    ):
        assert text in html, text


def test_html_has_the_timeline_table_and_action_items_with_status_owner_and_due(
    alice, api_for, postmortem
):
    api = api_for(alice)
    items = postmortem["actionItems"]
    items[0].update(status="DONE", dueDate="2026-03-15")
    api.patch(f"/api/postmortems/{postmortem['id']}", {"actionItems": items})
    html = _export(api, postmortem["id"], "html").content.decode()
    assert "<th>Time</th><th>Kind</th><th>Event</th><th>Who</th><th>Notes</th>" in html
    assert ">14:35</td>" in html
    assert "Traffic spike detected - 3x normal load" in html
    assert html.index("14:35") < html.index("14:50")
    assert "engineering@example.com" in html
    assert 'class="status done">Done</span>' in html
    assert "2026-03-15" in html
    assert "Implement connection pool monitoring with alerts" in html


def test_html_never_lets_user_markup_through(alice, api_for, postmortem):
    api = api_for(alice)
    api.patch(
        f"/api/postmortems/{postmortem['id']}",
        {
            "title": "<script>alert(1)</script> outage",
            "summary": "<img src=x onerror=alert(2)> [x](javascript:alert(3))",
            "customSections": [{"heading": "<b>h</b>", "body": "<iframe src=//evil>"}],
            "timeline": [{"time": "14:35", "description": "<svg onload=alert(4)>"}],
        },
    )
    html = _export(api, postmortem["id"], "html").content.decode()
    for bad in ("<script>alert", "<img src=x", 'href="javascript:', "<iframe", "<svg", "<b>h</b>"):
        assert bad not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; outage" in html


# PDF -----------------------------------------------------------------------------------


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_opens_with_extractable_text(alice, api_for, full):
    response = _export(api_for(alice), full["id"], "pdf")
    assert response.content.startswith(b"%PDF-")
    text = _pdf_text(response.content)
    assert "Database Connection Pool Exhaustion" in text
    assert "Traffic spike detected" in text
    assert "Cost review" in text


class _Recorder(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):
        type(self).requests.append(self.path)
        time.sleep(5)  # a slow host: an export that fetched this would hang
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    _Recorder.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_pdf_fetches_no_image_from_markdown(alice, api_for, postmortem, local_server):
    port = local_server.server_address[1]
    api = api_for(alice)
    api.patch(
        f"/api/postmortems/{postmortem['id']}",
        {
            "summary": f"See ![graph](http://127.0.0.1:{port}/graph.png) above.",
            "appendix": {"metrics": f"![m](http://127.0.0.1:{port}/metrics.png)"},
        },
    )
    html = _export(api, postmortem["id"], "html").content.decode()
    assert f"http://127.0.0.1:{port}/graph.png" in html  # the image is in the page
    started = time.monotonic()
    response = _export(api, postmortem["id"], "pdf")
    assert response.status_code == 200
    assert time.monotonic() - started < 5
    assert "See" in _pdf_text(response.content)
    time.sleep(0.2)
    assert _Recorder.requests == []


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/x.png", "https://example.com/a.css", "file:///etc/passwd"]
)
def test_the_pdf_url_fetcher_refuses_remote_and_file_urls(url):
    import weasyprint

    fetcher = export_formats._fetcher(weasyprint)
    with pytest.raises(ValueError, match="not fetching"):
        fetcher(url)


def test_without_weasyprint_a_pdf_is_refused_with_503(alice, api_for, postmortem, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import now raises ImportError
    response = _export(api_for(alice), postmortem["id"], "pdf")
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "pdf_unavailable"
    assert "WeasyPrint" in body["message"] and "HTML" in body["message"]
    assert _export(api_for(alice), postmortem["id"], "html").status_code == 200


def test_weasyprint_is_not_imported_with_the_api():
    code = (
        "import os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'hindsight.settings');"
        "import django; django.setup();"
        "import hindsight.postmortems.api, hindsight.postmortems.export_formats, hindsight.urls;"
        "print('weasyprint' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
