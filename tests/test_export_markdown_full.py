"""The complete Markdown export: every section, tables, horizons, front matter."""

import pytest
import yaml

from hindsight.postmortems import export, services
from hindsight.postmortems.schemas import PostMortemCreate

pytestmark = pytest.mark.django_db


def _create(user, **fields):
    body = {"incidentId": "inc_123", "title": "Pool exhaustion", "summary": "Down.", **fields}
    return services.create_postmortem(PostMortemCreate.model_validate(body).data(), by=user)


def _front(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def _headings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("#")]


def test_the_core_layout_comes_first_and_other_sections_follow(alice, incident):
    pm = _create(
        alice,
        impact="All users.",
        rootCause="Pool too small.",
        timeline=[{"time": "14:35", "description": "Spike"}],
        actionItems=[{"description": "Alert", "owner": "ops", "dueDate": "2026-04-01"}],
        executiveSummary="Short outage.",
        wentWell={"detection": "Fast page."},
        lessonsLearned={"process": "Drill more."},
        customSections=[{"heading": "Glossary", "body": "Pool: connections."}],
        contributors=["alice@example.com"],
    )
    text = export.to_markdown(pm)
    assert _headings(text) == [
        "# Pool exhaustion",
        "## Summary",
        "## Impact",
        "## Root Cause",
        "## Timeline",
        "## Action Items",
        "## Executive Summary",
        "## What Went Well",
        "### Detection",
        "## Lessons Learned",
        "### Process",
        "## Contributors",
        "## Glossary",
    ]
    assert "\n- 14:35 - Spike\n" in text
    assert "\n- [ ] Alert (MEDIUM) — owner: ops · due: 2026-04-01\n" in text
    assert export.to_markdown(pm) == text  # deterministic


def test_a_timeline_with_who_or_notes_is_a_table(alice, incident):
    pm = _create(
        alice,
        timeline=[
            {"time": "14:35", "description": "Spike | 3x", "who": "bob"},
            {"time": "14:50", "description": "Fixed", "notes": "line one\nline two"},
        ],
    )
    text = export.to_markdown(pm)
    assert "| Time | Event | Who | Notes |" in text
    assert "| 14:35 | Spike \\| 3x | bob |   |" in text
    assert "| 14:50 | Fixed |   | line one<br>line two |" in text


def test_action_items_are_grouped_by_horizon_when_any_has_one(alice, incident):
    pm = _create(
        alice,
        actionItems=[
            {"description": "Later", "horizon": "LONG_TERM", "category": "ARCHITECTURE"},
            {"description": "Unsorted"},
            {"description": "Now", "horizon": "IMMEDIATE", "status": "DONE", "why": "it broke"},
        ],
    )
    text = export.to_markdown(pm)
    body = text[text.index("## Action Items") :]
    assert _headings(body) == [
        "## Action Items",
        "### Immediate",
        "### Long-term",
        "### No horizon",
    ]
    assert "- [x] Now (MEDIUM) — owner: unassigned · due: no due date" in body
    front = _front(text)
    assert front["actionItemOrder"] == [2, 0, 1]
    assert front["actionItems"] == [{"why": "it broke"}, {"category": "ARCHITECTURE"}, {}]


def test_structured_values_travel_in_front_matter(alice, incident):
    pm = _create(
        alice,
        tags=["database", "checkout"],
        participants=["bob", "carol"],
        timeline=[{"time": "14:35", "description": "Spike", "kind": "TRIGGER"}],
        impactAnalysis={
            "users": {"totalAffected": 1200, "durationMinutes": 15.5, "segments": "EU"},
            "engineering": {"teamsInvolved": ["db"], "engineerHours": 6},
        },
        appendix={"relatedPostmortems": ["pm_abc"], "metrics": "p99 went up"},
    )
    text = export.to_markdown(pm)
    front = _front(text)
    assert front["hindsight"] == 1
    assert front["incidentId"] == "inc_123"
    assert front["tags"] == ["database", "checkout"]
    assert front["participants"] == ["bob", "carol"]
    assert front["timeline"] == [{"kind": "TRIGGER"}]
    assert front["impactAnalysis"] == {
        "users": {"totalAffected": 1200, "durationMinutes": 15.5},
        "engineering": {"teamsInvolved": ["db"], "engineerHours": 6.0},
    }
    assert front["appendix"] == {"relatedPostmortems": ["pm_abc"]}
    assert "exact" not in front
    assert "### User Segments\n\nEU" in text and "### Metrics\n\np99 went up" in text


def test_text_that_would_break_the_layout_is_escaped_and_kept_exactly(alice, incident):
    summary = "First line\n# Not a heading\n\n```\nunclosed fence"
    pm = _create(alice, summary=summary, impact="a\n# b", title="- [x] looks | like a list")
    text = export.to_markdown(pm)
    assert f"## Summary\n\n~~~text\n{summary}\n~~~\n" in text  # fenced: it cannot leak
    assert "## Impact\n\na\n\\# b\n" in text  # escaped: reads as it was written
    assert text.split("---\n", 2)[2].startswith("# \\- [x] looks | like a list\n")
    assert _front(text)["exact"] == {"summary": summary, "impact": "a\n# b", "title": pm.title}
