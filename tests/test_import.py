"""POST /api/postmortems/import and the importer's reading of common Markdown layouts."""

import pytest
from django.utils import timezone

from hindsight.incidents.models import Incident
from hindsight.lib.times import parse_timestamp
from hindsight.postmortems.markdown.importer import parse
from hindsight.postmortems.models import PostMortem

pytestmark = pytest.mark.django_db

DOC = """---
severity: SEV2
tags: [database, checkout]
---

Checkout outage
===============

Issue Summary
-------------

The checkout was down for 15 minutes on 2026-03-01.

Root Cause and Resolution
-------------------------

The pool was too small.

### Timeline

| Time (UTC) | Event | Who |
|---|---|---|
| 14:35 | Spike | bob |
| 14:5x | Pool raised | alice |

## Corrective and Preventative Measures

- [x] Raise the pool — owner: alice (P1)
- [ ] Alert on pool usage, owner: bob@example.com

## Glossary

Pool: database connections.
"""


def _import(api, text, query="", content_type="text/markdown"):
    return api.post(f"/api/postmortems/import{query}", raw=text, content_type=content_type)


def test_it_imports_a_document_and_says_what_it_recognised(alice, api_for):
    response = _import(api_for(alice), DOC)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["recognised"] == ["tags", "summary", "rootCause", "timeline", "actionItems"]
    assert body["custom"] == ["Glossary"]
    stored = PostMortem.objects.get(pk=body["postmortem"]["id"])
    assert stored.title == "Checkout outage"
    assert stored.root_cause == "The pool was too small."
    assert stored.tags == ["database", "checkout"]
    assert stored.created_by == alice
    events = stored.timeline
    assert [(e.time, e.who) for e in events] == [("14:35", "bob"), ("14:35", "alice")]
    # A time that is not a time is kept, in the notes, and does not break the import.
    assert "14:5x" in events[1].notes
    items = stored.action_item_list
    assert [(i.status, i.owner, i.priority) for i in items] == [
        ("DONE", "alice", "HIGH"),
        ("TODO", "bob@example.com", "MEDIUM"),
    ]
    assert stored.section("custom_sections") == [
        {"heading": "Glossary", "body": "Pool: database connections."}
    ]


def test_it_creates_the_incident_from_the_document(alice, api_for):
    body = _import(api_for(alice), DOC).json()
    incident = Incident.objects.get(pk=body["postmortem"]["incidentId"])
    # Incidents are seen by every viewer while the draft is private: not its title.
    assert incident.title == f"Imported incident {timezone.localdate().isoformat()}"
    assert incident.severity == "SEV2"
    assert incident.started_at.isoformat() == "2026-03-01T00:00:00+00:00"


def test_the_caller_may_name_the_new_incident(alice, api_for):
    response = _import(api_for(alice), DOC, "?incidentTitle=Checkout%20pool%20exhausted")
    assert response.status_code == 201, response.content
    incident = Incident.objects.get(pk=response.json()["postmortem"]["incidentId"])
    assert incident.title == "Checkout pool exhausted"


def test_an_empty_incident_title_is_refused(alice, api_for):
    assert _import(api_for(alice), DOC, "?incidentTitle=").status_code == 422
    assert not Incident.objects.exists()


def test_it_attaches_to_a_given_incident(alice, api_for, incident):
    response = _import(api_for(alice), DOC, "?incidentId=inc_123")
    assert response.status_code == 201
    assert response.json()["postmortem"]["incidentId"] == "inc_123"
    assert Incident.objects.count() == 1


def test_an_unknown_incident_is_refused_by_name(alice, api_for):
    response = _import(api_for(alice), DOC, "?incidentId=inc_nope")
    assert response.status_code == 422
    assert "inc_nope" in response.json()["message"]
    assert PostMortem.objects.count() == 0


def test_viewers_cannot_import(carol, api_for):
    response = _import(api_for(carol), DOC)
    assert response.status_code == 403
    assert PostMortem.objects.count() == 0 and Incident.objects.count() == 0


def test_anonymous_requests_are_refused(api_for, db):
    assert _import(api_for(None), DOC).status_code == 401


def test_it_wants_markdown_in_utf8(alice, api_for):
    api = api_for(alice)
    assert _import(api, DOC, content_type="application/json").status_code == 415
    response = api.post("/api/postmortems/import", raw=b"# T\n\xff", content_type="text/markdown")
    assert response.status_code == 422
    assert _import(api, "  \n").status_code == 422
    assert PostMortem.objects.count() == 0


def test_a_document_without_headings_takes_its_first_line_as_title():
    draft = parse("\nOur decide service was down. It lasted an hour.\n\nWe added alerts.\n")
    assert draft.data["title"] == "Our decide service was down."
    assert draft.data["summary"].startswith("Our decide service was down.")


def test_timelines_as_bullets_lines_and_one_heading_per_time():
    bullets = parse("# T\n\n## Timeline\n\nAll times in UTC\n\n- 14:35 - spike\n- [14:40] paged\n")
    assert [e["description"] for e in bullets.data["timeline"]] == ["spike", "paged"]
    lines = parse("# T\n\n## Timeline\n\n17:03 – leaked\n17:10 - revoked\n")
    assert [e["time"] for e in lines.data["timeline"]] == ["17:03", "17:10"]
    headed = parse(
        "# 2021-06-03: T\n\n## Timeline\n\n### 2021-06-03 9:15\n\nDisk full.\n\n### 9:30\n\nFixed.\n"
    )
    events = headed.data["timeline"]
    assert [e["time"] for e in events] == ["2021-06-03T09:15:00Z", "2021-06-03T09:30:00Z"]
    assert [e["description"] for e in events] == ["Disk full.", "Fixed."]


def test_times_in_a_named_zone_keep_their_offset_and_the_time_as_written():
    draft = parse("# T\n\n## Timeline\n\nAll times in PST\n\n- 2019-01-23 2:54 PM PST: down\n")
    event = draft.data["timeline"][0]
    assert event["time"] == "2019-01-23T14:54:00-08:00"
    assert parse_timestamp(event["time"]).isoformat() == "2019-01-23T22:54:00+00:00"
    assert "2:54 PM PST" in event["notes"]


def test_action_items_as_numbered_lists_and_tables_grouped_by_horizon():
    draft = parse(
        "# T\n\n## Remediation\n\n### Immediate (done)\n\n1. Raise timeouts\n\n"
        "### Long-term\n\n| Action | Owner | Priority | Status |\n|---|---|---|---|\n"
        "| Load tests | qa | P2 | DONE |\n"
    )
    items = draft.data["actionItems"]
    assert [(i["description"], i["horizon"]) for i in items] == [
        ("Raise timeouts", "IMMEDIATE"),
        ("Load tests", "LONG_TERM"),
    ]
    assert (items[1]["owner"], items[1]["priority"], items[1]["status"]) == ("qa", "MEDIUM", "DONE")


def test_headings_are_read_by_meaning_at_any_level():
    draft = parse(
        "# T\n\n#### Lessons Learned\n\n##### What went well\n\nPaging.\n\n"
        "## Where we got lucky\n\nLow traffic.\n\n## Background\n\nHistory.\n"
    )
    assert draft.data["wentWell"]["response"] == "Paging."
    assert draft.data["whereWeGotLucky"] == "Low traffic."
    assert draft.custom == []
    assert draft.data["whatHappened"]["whatBroke"] == "History."


def test_nothing_unmapped_is_dropped():
    draft = parse("# T\n\nIntro.\n\n## Summary\n\nS.\n\n## Odd\n\nBody\n\n### Deeper\n\nMore\n")
    assert draft.data["customSections"] == [
        {"heading": "Preamble", "body": "Intro."},
        {"heading": "Odd", "body": "Body\n\n### Deeper\n\nMore"},
    ]


def test_the_cli_imports_files_and_reports_each(alice, tmp_path, capsys):
    from hindsight.cli import main

    good = tmp_path / "good.md"
    good.write_text(DOC, encoding="utf-8")
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"# Broken\n\xff\xfe")
    missing = tmp_path / "missing.md"
    code = main(["import", str(good), str(bad), str(missing), "--as", "alice"])
    out = capsys.readouterr().out
    assert code == 1
    assert "Imported 1 of 3 files as alice." in out
    assert "good.md → pm_" in out and "“Checkout outage”" in out and "custom: Glossary" in out
    assert "bad.md: not imported: not UTF-8" in out
    assert "missing.md: not imported:" in out
    assert PostMortem.objects.get().created_by == alice


def test_the_cli_exits_zero_when_every_file_imports(admin, tmp_path, capsys):
    from hindsight.cli import main

    first = tmp_path / "a.md"
    first.write_text("# A\n\n## Summary\n\nOne.\n", encoding="utf-8")
    assert main(["import", str(first)]) == 0
    assert "Imported 1 of 1 files as root." in capsys.readouterr().out
    assert PostMortem.objects.get().created_by == admin


def test_the_cli_names_the_incident_it_creates(alice, tmp_path, capsys):
    from hindsight.cli import main

    good = tmp_path / "good.md"
    good.write_text(DOC, encoding="utf-8")
    assert main(["import", str(good), "--as", "alice", "--incident-title", "Pool"]) == 0
    assert PostMortem.objects.get().incident.title == "Pool"
    other = tmp_path / "other.md"
    other.write_text(DOC, encoding="utf-8")
    assert main(["import", str(other), "--as", "alice"]) == 0
    titles = set(Incident.objects.values_list("title", flat=True))
    assert titles == {"Pool", f"Imported incident {timezone.localdate().isoformat()}"}
