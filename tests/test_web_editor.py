"""The edit page as a person reads and fills it: numbers as numbers, owners picked from
the users, past due dates flagged, times in 24-hour UTC, lists that grow without saving."""

import re
from datetime import date, timedelta

import pytest

from hindsight.incidents.models import Incident
from hindsight.postmortems import services
from hindsight.postmortems.models import PostMortem
from hindsight.web.forms import IncidentForm
from hindsight.web.sectionform import number_text, parse_sections, read_number


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (45.0, "45"),
        (45, "45"),
        (12000, "12,000"),
        (12000.5, "12,000.5"),
        (0.1 + 0.2, "0.3"),
        (1234567.25, "1,234,567.25"),
        (0, "0"),
        (None, ""),
    ],
)
def test_numbers_are_shown_as_numbers(value, shown):
    assert number_text(value) == shown


@pytest.mark.parametrize(
    ("typed", "kind", "read"),
    [
        ("12,000", "int", 12000),
        ("1,234,567", "int", 1234567),
        ("12000", "int", 12000),
        ("12,000.50", "float", 12000.5),
        ("45", "float", 45.0),
    ],
)
def test_what_is_shown_reads_back_as_the_same_number(typed, kind, read):
    assert read_number(typed, kind) == read


@pytest.mark.parametrize(
    ("typed", "kind"), [("1,20", "int"), ("12,5", "float"), ("45.5", "int"), ("many", "float")]
)
def test_a_comma_that_is_not_between_thousands_is_refused(typed, kind):
    with pytest.raises(ValueError):
        read_number(typed, kind)


def test_a_section_form_reads_thousands_and_the_page_shows_them_with_the_currency(
    signed_in, postmortem
):
    sections, errors = parse_sections(
        {
            "s-impact_analysis-business-revenue_loss": "12,000",
            "s-impact_analysis-business-currency": "USD",
            "s-impact_analysis-users-duration_minutes": "45",
        }
    )
    assert errors == {}
    assert sections["impact_analysis"]["business"]["revenue_loss"] == 12000
    pm_id = postmortem["id"]
    alice = PostMortem.objects.get(pk=pm_id).created_by
    services.update_postmortem(pm_id, {"impact_analysis": sections["impact_analysis"]}, by=alice)
    edit = signed_in.get(f"/postmortems/{pm_id}/edit").content.decode()
    assert 'value="12,000"' in edit and '<span class="unit">USD</span>' in edit
    assert 'value="45"' in edit and 'value="45.0"' not in edit
    report = signed_in.get(f"/postmortems/{pm_id}").content.decode()
    assert "12,000 USD" in report and "45.0" not in report


@pytest.fixture
def signed_in(client, alice):
    client.force_login(alice)
    return client


def test_owners_are_offered_from_the_users_and_a_free_address_is_marked(signed_in, postmortem, bob):
    pm_id = postmortem["id"]
    alice = PostMortem.objects.get(pk=pm_id).created_by
    services.update_postmortem(
        pm_id,
        {
            "action_items": [
                {"description": "Team item", "owner": "ops-team@lists.example.com"},
                {"description": "Bob's item", "owner": bob.email.upper()},
            ]
        },
        by=alice,
    )
    page = signed_in.get(f"/postmortems/{pm_id}/edit").content.decode()
    assert '<datalist id="owner-users">' in page
    assert f'<option value="bob">bob · {bob.email}</option>' in page
    assert page.count('list="owner-users"') == 3  # the add form and both items' edit forms
    items = page[page.index('id="action-items"') :]  # not the quality checks above them
    team = items[items.index("Team item") : items.index("Bob&#x27;s item")]
    assert "(not a user)" in team
    bobs = items[items.index("Bob&#x27;s item") :]
    assert "(not a user)" not in bobs[: bobs.index("</li>")]


def test_a_past_due_date_is_flagged(signed_in, postmortem):
    pm_id = postmortem["id"]
    alice = PostMortem.objects.get(pk=pm_id).created_by
    past = (date.today() - timedelta(days=3)).isoformat()
    future = (date.today() + timedelta(days=3)).isoformat()
    services.update_postmortem(
        pm_id,
        {
            "action_items": [
                {"description": "Late", "due_date": past},
                {"description": "Later", "due_date": future},
            ]
        },
        by=alice,
    )
    page = signed_in.get(f"/postmortems/{pm_id}/edit").content.decode()
    late = page[page.index("<strong>Late</strong>") : page.index("<strong>Later</strong>")]
    later = page[page.index("<strong>Later</strong>") :]
    assert re.search(r'class="flag-overdue"><svg [^>]*class="icon".*?</svg>Overdue', late, re.S)
    assert re.search(
        r'<p class="field-warn" data-past-note><svg .*?</svg>This date is in the past.</p>',
        late,
        re.S,
    )
    assert "flag-overdue" not in later[: later.index("</li>")]
    assert "data-past-note hidden" in later


def test_incident_times_are_typed_in_24_hour_utc_and_read_like_the_api(signed_in, incident):
    page = signed_in.get("/incidents/inc_123/edit").content.decode()
    assert 'type="datetime-local"' not in page
    assert 'name="started_at" value="2026-03-01 14:30"' in page
    response = signed_in.post(
        "/incidents/inc_123/edit",
        {
            "version": str(incident.version),
            "title": incident.title,
            "severity": "SEV2",
            "started_at": "2026-03-01 14:30",
            "detected_at": "2026-03-01T16:36+01:00",
            "resolved_at": "2026-03-01 15:05 UTC",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    incident = Incident.objects.get(pk="inc_123")
    assert incident.detected_at.isoformat() == "2026-03-01T15:36:00+00:00"
    assert incident.resolved_at.isoformat() == "2026-03-01T15:05:00+00:00"


@pytest.mark.parametrize("typed", ["2:30 PM", "2026-03-01 2:30 PM", "03/01/2026 14:30", "14:30"])
def test_a_time_that_is_not_24_hour_utc_is_refused_by_the_field(typed):
    form = IncidentForm({"title": "T", "started_at": typed})
    assert not form.is_valid()
    assert form.errors["started_at"] == ["Write the time in UTC, 24-hour, as 2026-03-01 14:35."]


def test_add_entry_without_javascript_keeps_the_typing_and_saves_nothing(signed_in, postmortem):
    pm_id = postmortem["id"]
    response = signed_in.post(
        f"/postmortems/{pm_id}/edit",
        {
            "version": "1",
            "title": "Typed title",
            "summary": "Typed summary",
            "s-five_whys-problem": "Pool ran out",
            "s-five_whys-whys-rows": "1",
            "s-five_whys-whys-0-why": "Why did the pool run out?",
            "add-row": "s-five_whys-whys",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Typed title" in body and "Typed summary" in body
    assert 'value="Why did the pool run out?"' in body
    assert 'name="s-five_whys-whys-1-why"' in body and "autofocus" in body
    assert 'id="s-five_whys-whys-rows" value="2"' in body
    assert PostMortem.objects.get(pk=pm_id).version == 1


def test_add_entry_with_htmx_answers_only_the_new_entry(signed_in, postmortem):
    pm_id = postmortem["id"]
    response = signed_in.post(
        f"/postmortems/{pm_id}/edit",
        {"s-communication-rows": "1", "add-row": "s-communication"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode().strip()
    assert body.startswith('<fieldset class="row"><legend>Message 2</legend>')
    assert 'name="s-communication-1-audience"' in body
    assert 'name="s-communication-0-audience"' not in body  # what is typed is not redrawn
    assert 'id="s-communication-rows" value="2" hx-swap-oob="true"' in body
    assert PostMortem.objects.get(pk=pm_id).version == 1
