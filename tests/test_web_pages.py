"""Every page of the web app renders for a signed-in member, and forms work without
JavaScript (plain POSTs, redirects, messages)."""

import pytest

from hindsight.postmortems.models import PostMortem
from hindsight.postmortems.templates import template_data


@pytest.fixture
def signed_in(client, alice):
    client.force_login(alice)
    return client


def test_pages_ask_for_sign_in_first(client, db):
    for path in ("/", "/postmortems", "/incidents", "/account/tokens", "/postmortems/new"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/login?next="), path


def test_every_main_page_renders(signed_in, postmortem):
    pm_id = postmortem["id"]
    for path in (
        "/",
        "/postmortems",
        "/postmortems?q=pool&status=DRAFT&sort=title",
        "/postmortems/new",
        f"/postmortems/{pm_id}",
        f"/postmortems/{pm_id}/edit",
        "/incidents",
        "/incidents/new",
        "/incidents/inc_123",
        "/incidents/inc_123/edit",
        "/account/tokens",
        "/account/password",
    ):
        response = signed_in.get(path)
        assert response.status_code == 200, (path, response.content[:500])


def test_the_home_page_lists_my_draft_and_my_action_items(signed_in, postmortem, alice):
    body = signed_in.get("/").content.decode()
    assert "Database Connection Pool Exhaustion" in body


def test_creating_a_postmortem_with_a_new_incident_and_a_template(signed_in):
    response = signed_in.post(
        "/postmortems/new",
        {
            "title": "Checkout was down",
            "incident": "",
            "template": "short",
            "incident-title": "Checkout outage",
            "incident-severity": "SEV2",
            "incident-services": "checkout, postgres",
            "incident-started_at": "2026-03-01T14:30",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    postmortem = PostMortem.objects.get(title="Checkout was down")
    assert response["Location"] == f"/postmortems/{postmortem.id}/edit"
    assert postmortem.incident.title == "Checkout outage"
    assert postmortem.incident.services == ["checkout", "postgres"]
    template = template_data("short")
    assert postmortem.timeline_events.count() == len(template["timeline"])
    assert postmortem.action_items.count() == len(template["action_items"])


def test_saving_the_report_without_javascript(signed_in, postmortem):
    pm_id = postmortem["id"]
    response = signed_in.post(
        f"/postmortems/{pm_id}/edit",
        {
            "version": "1",
            "title": "Pool exhaustion",
            "summary": "New summary",
            "impact": "",
            "root_cause": "Too small a pool",
            "tags": "database, capacity",
            "contributors": "alice@example.com\nbob@example.com",
            "s-executive_summary": "For **leaders**",
            "s-contributing_factors-rows": "1",
            "s-contributing_factors-0-factor": "No alert on pool usage",
            "s-impact_analysis-users-total_affected": "1200",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    postmortem = PostMortem.objects.get(pk=pm_id)
    assert postmortem.title == "Pool exhaustion"
    assert postmortem.summary == "New summary"
    assert postmortem.impact is None
    assert postmortem.tags == ["database", "capacity"]
    assert postmortem.section("executive_summary") == "For **leaders**"
    assert postmortem.section("contributing_factors")[0]["factor"] == "No alert on pool usage"
    assert postmortem.section("impact_analysis")["users"]["totalAffected"] == 1200
    report = signed_in.get(f"/postmortems/{pm_id}").content.decode()
    assert "<strong>leaders</strong>" in report
    assert "No alert on pool usage" in report


def test_a_bad_number_in_a_section_is_shown_and_the_text_kept(signed_in, postmortem):
    pm_id = postmortem["id"]
    response = signed_in.post(
        f"/postmortems/{pm_id}/edit",
        {
            "version": "1",
            "title": "T",
            "summary": "Kept summary",
            "s-impact_analysis-users-total_affected": "1,20",
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Enter a number" in body
    assert "Kept summary" in body
    assert PostMortem.objects.get(pk=pm_id).version == 1


def test_timeline_and_action_items_without_javascript(signed_in, postmortem):
    pm_id = postmortem["id"]
    response = signed_in.post(
        f"/postmortems/{pm_id}/timeline",
        {"event-time": "14:31", "event-description": "Deploy", "event-kind": ""},
    )
    assert response.status_code == 302
    postmortem = PostMortem.objects.get(pk=pm_id)
    assert [e.time for e in postmortem.timeline][:2] == ["14:31", "14:35"]
    first = postmortem.timeline[0]
    signed_in.post(f"/postmortems/{pm_id}/timeline/{first.id}/delete")
    assert PostMortem.objects.get(pk=pm_id).timeline_events.count() == 5

    response = signed_in.post(
        f"/postmortems/{pm_id}/action-items",
        {"item-description": "Add a dashboard", "item-priority": "LOW", "item-status": "TODO"},
    )
    assert response.status_code == 302
    item = PostMortem.objects.get(pk=pm_id).action_item_list[-1]
    assert item.description == "Add a dashboard"
    response = signed_in.post(f"/action-items/{item.id}/status", {"status": "DONE"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "DONE"


def test_htmx_requests_get_only_the_fragment(signed_in, postmortem):
    pm_id = postmortem["id"]
    response = signed_in.post(
        f"/postmortems/{pm_id}/timeline",
        {"event-time": "14:31", "event-description": "Deploy"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<section") and "<html" not in body
    listing = signed_in.get("/postmortems?q=pool", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in listing and "Database Connection Pool Exhaustion" in listing
    preview = signed_in.post(
        "/postmortems/preview",
        {"preview": "summary", "summary": "**bold** <script>alert(1)</script>"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "<strong>bold</strong>" in preview and "<script>" not in preview
