"""The Insights page: each figure as a chart (an SVG image drawn on the server, with no
script and nothing fetched from elsewhere), a table under it, and a CSV link."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from hindsight.incidents.models import Incident


@pytest.fixture
def signed_in(alice):
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def incidents(db):
    start = datetime(2026, 3, 2, 10, tzinfo=UTC)
    Incident.objects.create(
        id="i1", title="i1", severity="SEV1", started_at=start,
        detected_at=start + timedelta(minutes=4), resolved_at=start + timedelta(hours=2),
    )  # fmt: skip
    Incident.objects.create(
        id="i2", title="i2", severity="SEV2", type="NEAR_MISS", started_at=start + timedelta(days=40),
        detected_at=start + timedelta(days=40, minutes=20),
    )  # fmt: skip


def test_the_page_shows_each_figure_with_a_chart_a_table_and_a_csv_link(signed_in, incidents):
    response = signed_in.get("/insights")
    assert response.status_code == 200
    page = response.content.decode()
    for figure in ("incidents", "durations"):
        assert f'src="/insights/{figure}.svg"' in page
    for figure in ("incidents", "durations", "postmortems", "action-items"):
        assert f"/api/insights/{figure}?format=csv" in page
    # No action item and no post-mortem yet: their charts would be empty, so none is drawn.
    assert 'src="/insights/action-items.svg"' not in page
    assert "2 incidents, 1 near miss." in page
    # The durations table: median 4 min of one value… and the empty April is a row.
    assert '<th scope="row">2026-04</th>' in page
    assert 'alt="Bar chart of incidents per month by severity' in page


def test_the_filters_reach_the_charts_and_the_csv(signed_in, incidents):
    page = signed_in.get("/insights", {"severity": "SEV2", "service": ""}).content.decode()
    assert 'src="/insights/incidents.svg?severity=SEV2"' in page
    assert "/api/insights/incidents?format=csv&amp;severity=SEV2" in page
    assert "1 incident, 1 near miss." in page


def test_bad_filters_are_named_and_nothing_is_filtered(signed_in, incidents):
    page = signed_in.get("/insights", {"from": "March"}).content.decode()
    assert "These filters were not understood" in page and "from" in page
    assert "2 incidents" in page


@pytest.mark.parametrize("figure", ["incidents", "durations", "postmortems", "action-items"])
def test_a_chart_is_svg_with_no_script_and_nothing_from_elsewhere(signed_in, incidents, figure):
    response = signed_in.get(f"/insights/{figure}.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert svg.lstrip().startswith(("<?xml", "<svg"))
    assert "<script" not in svg.lower()
    addresses = set(re.findall(r"(?:https?:)?//[\w.-]+[^\s\"')<]*", svg))
    assert addresses <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, addresses
    assert "href=" not in svg.replace('xmlns:xlink="http://www.w3.org/1999/xlink"', "")
    policy = response["Content-Security-Policy"]
    assert "script-src 'none'" in policy and "style-src 'unsafe-inline'" in policy


def test_the_page_itself_keeps_the_strict_policy(signed_in, incidents):
    policy = signed_in.get("/insights")["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "script-src 'self'" in policy


def test_an_unknown_chart_is_404_and_signing_in_is_needed(signed_in, incidents):
    assert signed_in.get("/insights/nothing.svg").status_code == 404
    assert Client().get("/insights").status_code == 302
    assert Client().get("/insights/incidents.svg").status_code == 302


def test_counts_link_to_the_lists_they_count(signed_in, incidents, alice, api_for):
    api_for(alice).post("/api/postmortems", {"incidentId": "i2", "title": "Near miss report"})
    page = signed_in.get("/insights").content.decode()
    assert 'href="/incidents?started_from=2026-03-01&amp;started_to=2026-03-31"' in page
    link = "/postmortems?type=NEAR_MISS&amp;incidentFrom=2026-04-01&amp;incidentTo=2026-04-30"
    assert f'href="{link}"' in page
    listed = signed_in.get(link.replace("&amp;", "&")).content.decode()
    assert "Near miss report" in listed
