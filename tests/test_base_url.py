"""Without HINDSIGHT_BASE_URL, links in pages and exports follow the host and port the request
came to (so `hindsight serve --port 8123` copies links to 8123, not 8000); with it, they use
it. What has no request to follow (the worker's notifications, the CLI's exports) says so
at start, on stderr."""

import re

import pytest
from django.test import override_settings

from hindsight import cli

PORT_8123 = {"HTTP_HOST": "127.0.0.1:8123"}
CONFIGURED = {"BASE_URL": "https://postmortems.example.com", "BASE_URL_CONFIGURED": True}


@pytest.fixture(autouse=True)
def base_url_unset(settings):
    """As settings.py reads it with HINDSIGHT_BASE_URL unset, whatever this shell says."""
    settings.BASE_URL = "http://127.0.0.1:8000"
    settings.BASE_URL_CONFIGURED = False


@pytest.fixture
def report(alice, incident, api_for):
    body = {
        "incidentId": incident.id,
        "title": "Links follow the host",
        "appendix": {"relatedPostmortems": ["pm_older"]},
    }
    response = api_for(alice).post("/api/postmortems", body)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _share_link(client, pm_id: str) -> str:
    body = client.get(f"/postmortems/{pm_id}", **PORT_8123).content.decode()
    return re.search(r'id="share-url" type="text" value="([^"]+)"', body).group(1)


def test_the_share_link_follows_the_requests_host_and_port(client, alice, report):
    client.force_login(alice)
    assert _share_link(client, report) == f"http://127.0.0.1:8123/postmortems/{report}"


def test_with_a_base_url_the_share_link_uses_it(client, alice, report):
    client.force_login(alice)
    with override_settings(**CONFIGURED):
        link = _share_link(client, report)
    assert link == f"https://postmortems.example.com/postmortems/{report}"


def test_the_html_export_links_to_the_report_and_its_related_ones_on_the_requests_host(
    api_for, alice, report
):
    api = api_for(alice)
    body = api.client.get(
        f"/api/postmortems/{report}/export?format=html", **api.headers, **PORT_8123
    ).content.decode()
    assert f'<a href="http://127.0.0.1:8123/postmortems/{report}">' in body
    assert '<a href="http://127.0.0.1:8123/postmortems/pm_older">pm_older</a>' in body
    assert ":8000" not in body
    with override_settings(**CONFIGURED):
        body = api.client.get(
            f"/api/postmortems/{report}/export?format=html", **api.headers, **PORT_8123
        ).content.decode()
    assert f'<a href="https://postmortems.example.com/postmortems/{report}">' in body


NOTE = "HINDSIGHT_BASE_URL is not set"


def test_the_worker_says_at_start_that_notification_links_need_the_base_url(db, capsys):
    assert cli.main(["worker", "--once"]) == 0
    err = capsys.readouterr().err
    assert NOTE in err and "links in the notifications this worker sends" in err
    assert "http://127.0.0.1:8000" in err
    with override_settings(**CONFIGURED):
        assert cli.main(["worker", "--once"]) == 0
    assert NOTE not in capsys.readouterr().err


def test_serve_says_at_start_that_notification_links_need_the_base_url(db, capsys, monkeypatch):
    monkeypatch.setattr("hindsight.lib.server.run", lambda *args, **kwargs: None)
    monkeypatch.setattr("hindsight.lib.migrate.migrate_locked", lambda **kwargs: 0)
    assert cli.main(["serve", "--port", "8123"]) == 0
    err = capsys.readouterr().err
    assert NOTE in err and "links in notifications point to http://127.0.0.1:8000" in err
    with override_settings(**CONFIGURED):
        assert cli.main(["serve", "--port", "8123"]) == 0
    assert NOTE not in capsys.readouterr().err


def test_a_cli_export_links_only_to_a_configured_base_url(db, report, tmp_path, capsys):
    target = tmp_path / "report.html"
    assert cli.main(["export", report, "--format", "html", "-o", str(target)]) == 0
    assert NOTE in capsys.readouterr().err
    assert "/postmortems/" not in target.read_text()  # no guessed address
    with override_settings(**CONFIGURED):
        assert cli.main(["export", report, "--format", "html", "-o", str(target)]) == 0
    assert NOTE not in capsys.readouterr().err
    assert f'href="https://postmortems.example.com/postmortems/{report}"' in target.read_text()
