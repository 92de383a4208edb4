"""The report page reads like a report: an incident header with its severity, date,
duration, services and times to detect, mitigate and resolve; and a table of contents of
the parts it shows."""

import re

import pytest
from django.test import Client


@pytest.fixture
def timed_incident(alice):
    from hindsight.incidents.services import create_incident
    from hindsight.lib.times import parse_timestamp

    return create_incident(
        {
            "title": "Checkout outage",
            "severity": "SEV1",
            "services": ["checkout", "payments"],
            "started_at": parse_timestamp("2026-03-01T14:30:00Z"),
            "detected_at": parse_timestamp("2026-03-01T14:36:00Z"),
            "mitigated_at": parse_timestamp("2026-03-01T14:45:00Z"),
            "resolved_at": parse_timestamp("2026-03-01T15:50:00Z"),
        },
        by=alice,
    )


def _page(user, pm_id) -> str:
    client = Client()
    client.force_login(user)
    return client.get(f"/postmortems/{pm_id}").content.decode()


def _facts(html: str) -> dict[str, str]:
    header = html.split('class="incident-header"')[1].split("</section>")[0]
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", header, re.S)
    return {name: re.sub(r"<[^>]+>", "", value).strip() for name, value in pairs}


def test_the_header_gives_the_incidents_facts_in_words(alice, timed_incident):
    from hindsight.postmortems.services import create_postmortem

    pm = create_postmortem({"incident_id": timed_incident.id, "title": "Outage"}, by=alice)
    facts = _facts(_page(alice, pm.id))
    assert facts == {
        "Severity": "SEV1",
        "Date": "2026-03-01",
        "Duration": "1 h 20 min (14:30–15:50 UTC)",
        "Services": "checkout, payments",
        "Time to detect": "6 min",
        "Time to mitigate": "15 min",
        "Time to resolve": "1 h 20 min",
    }


def test_an_incident_still_open_says_so(alice, incident):
    from hindsight.postmortems.services import create_postmortem

    pm = create_postmortem({"incident_id": incident.id, "title": "Ongoing"}, by=alice)
    facts = _facts(_page(alice, pm.id))
    assert facts["Duration"] == "ongoing (since 14:30 UTC)"
    assert facts["Time to detect"] == "—"


def test_the_contents_list_every_part_shown_with_its_open_comments(
    alice, make_user, api_for, postmortem
):
    dave = make_user("dave")
    pm_url = f"/api/postmortems/{postmortem['id']}"
    api_for(alice).patch(
        pm_url,
        {"status": "IN_REVIEW", "resolution": {"howFixed": "Raised the pool size."}},
    )
    for body in ("Why?", "And how?"):
        api_for(dave).post(f"{pm_url}/comments", {"body": body, "section": "rootCause"})
    html = _page(alice, postmortem["id"])
    toc = html.split('class="toc no-print"')[1].split("</nav>")[0]
    links = re.findall(r'<a href="#([\w-]+)">(.*?)</a>', toc)
    assert links == [
        ("section-summary", "Summary"),
        ("section-impact", "Impact"),
        ("section-rootCause", "Root cause"),
        ("section-timeline", "Timeline"),
        ("action-items", "Action items"),
        ("section-resolution", "Resolution"),
        ("review", "Review"),
    ]
    for anchor, _ in links:
        assert f'id="{anchor}"' in html
    assert "2 open comments" in toc.split("Root cause")[1].split("</li>")[0]
