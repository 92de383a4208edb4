"""Everyday section names are read into Hindsight's fields, and `recognised` names only the
sections something was read into."""

import pytest

from hindsight.postmortems.markdown.importer import parse
from hindsight.postmortems.models import PostMortem
from hindsight.web.sectionform import section_nodes

pytestmark = pytest.mark.django_db


def _doc(*sections: tuple[str, str]) -> str:
    return "# Cache outage\n\n" + "".join(f"## {h}\n\n{b}\n\n" for h, b in sections)


@pytest.mark.parametrize(
    ("heading", "path"),
    [
        ("Background", "whatHappened.whatBroke"),
        ("Context", "whatHappened.whatBroke"),
        ("Fallout", "impact"),
        ("Response", "resolution.howFixed"),
        ("Short term fix", "resolution.howFixed"),
        ("Long-term solution", "resolution.howFixed"),
        ("Details of mitigation", "resolution.howFixed"),
        ("Details of the fix", "resolution.howFixed"),
        ("The Vulnerability", "rootCause"),
        ("How did this happen?", "rootCause"),
        ("Trigger", "trigger"),
        ("Trigger(s)", "trigger"),
        ("Detection", "detectionMethod"),
        ("Alert", "detectionMethod"),
    ],
)
def test_an_everyday_section_name_is_read_into_its_field(heading, path):
    draft = parse(_doc(("Summary", "The cache fell over."), (heading, "Written text.")))
    value = draft.data
    for key in path.split("."):
        value = value[key]
    assert value == "Written text."
    assert path.split(".")[0] in draft.recognised
    assert heading not in draft.custom


def test_what_we_are_doing_about_it_holds_action_items():
    draft = parse(_doc(("What we're doing about it", "- [ ] Add a cache alert\n- [x] Resize")))
    assert [i["description"] for i in draft.data["actionItems"]] == [
        "Add a cache alert",
        "Resize",
    ]
    assert [i["status"] for i in draft.data["actionItems"]] == ["TODO", "DONE"]


def test_a_long_detection_story_is_kept_whole_as_what_monitoring_detected():
    story = "The alert fired.\n\n" + "Then we looked at the graphs. " * 30
    draft = parse(_doc(("Detection", story)))
    assert draft.data["whatHappened"]["monitoring"].strip() == story.strip()
    assert "detectionMethod" not in draft.recognised


def test_an_overview_in_prose_opens_the_report():
    draft = parse(_doc(("Overview", "What this report is about.")))
    assert draft.data["summary"] == "What this report is about."
    assert draft.custom == []


def test_recognised_lists_only_sections_something_was_read_into():
    draft = parse(
        _doc(
            ("Summary", "Text."),
            ("Timeline", "We do not have one."),
            ("Root Cause", ""),
            ("Lessons Learned", "### What went well\n\nPaging."),
        )
    )
    assert "rootCause" not in draft.recognised
    assert "timeline" not in draft.recognised  # nothing in it read as an event
    assert "lessonsLearned" not in draft.recognised  # its part went to wentWell
    assert {"summary", "wentWell"} <= set(draft.recognised)


def test_the_trigger_is_a_section_of_the_report(alice, api_for, incident):
    api = api_for(alice)
    body = {"incidentId": incident.pk, "title": "T", "trigger": "A config push."}
    created = api.post("/api/postmortems", body)
    assert created.status_code == 201, created.content
    assert created.json()["trigger"] == "A config push."
    stored = PostMortem.objects.get(pk=created.json()["id"])
    assert stored.section("trigger") == "A config push."
    markdown = api.get(f"/api/postmortems/{stored.pk}/export?format=markdown").content.decode()
    assert "## Trigger\n\nA config push." in markdown
    assert parse(markdown).data["trigger"] == "A config push."
    html = api.get(f"/api/postmortems/{stored.pk}/export?format=html").content.decode()
    assert "A config push." in html
    assert any(
        n.name == "trigger" and n.value == "A config push." for n in section_nodes(stored.sections)
    )


STATUS_TABLE = """| Action | Status |
|---|---|
| Add a cache alert | ONGOING |
| Raise the pool | In progress |
| Pin the version | FIXED |
| Write a runbook | Complete |
| Drop the old cluster | WONTFIX |
| Retry the migration | Failed |
| Move to v2 | [#42](https://tracker.example/issues/42) |
"""


def test_status_words_beyond_the_three_are_read_and_kept():
    items = parse(_doc(("Action Items", STATUS_TABLE))).data["actionItems"]
    assert [(i["status"], i["description"]) for i in items] == [
        ("IN_PROGRESS", "Add a cache alert"),
        ("IN_PROGRESS", "Raise the pool"),
        ("DONE", "Pin the version"),
        ("DONE", "Write a runbook"),
        ("TODO", "[WONTFIX] Drop the old cluster"),
        ("TODO", "[FAILED] Retry the migration"),
        ("TODO", "Move to v2"),
    ]
    assert items[-1]["trackerUrl"] == "https://tracker.example/issues/42"


def test_a_leading_status_word_in_a_list_gives_the_status():
    text = "- **TODO**: add an alert\n- DONE: resize\n- DOING - rewrite\n- [BLOCKED] migrate"
    items = parse(_doc(("Action Items", text))).data["actionItems"]
    assert [(i["status"], i["description"]) for i in items] == [
        ("TODO", "add an alert"),
        ("DONE", "resize"),
        ("IN_PROGRESS", "rewrite"),
        ("TODO", "[BLOCKED] migrate"),
    ]


def test_a_label_h1_is_not_the_title():
    draft = parse("# Title:\n\nCache outage in eu-west\n\n## Summary\n\nThe cache fell over.\n")
    assert draft.data["title"] == "Cache outage in eu-west"
    assert draft.data["summary"] == "The cache fell over."


def test_a_collection_h1_above_the_real_title_is_not_the_title():
    draft = parse("# Postmortems\n\n## Cache outage\n\n### Summary\n\nThe cache fell over.\n")
    assert draft.data["title"] == "Cache outage"
    assert draft.data["summary"] == "The cache fell over."


def test_bold_labels_on_consecutive_lines_are_sections_of_their_own():
    draft = parse(
        "# Cache outage\n\n**Impact**: Checkout was down.\n**Root Causes**: A full disk,\n"
        "which nobody watched.\n**Trigger**: A log burst.\n"
    )
    assert draft.data["impact"] == "Checkout was down."
    assert draft.data["rootCause"] == "A full disk,\nwhich nobody watched."
    assert draft.data["trigger"] == "A log burst."
    assert draft.data["summary"] == ""


def test_an_italic_line_naming_a_section_is_its_heading():
    draft = parse(
        "# Cache outage\n\n## Summary\n\nThe cache fell over.\n\n_Lessons learned_\n\n"
        "Watch the disk.\n"
    )
    assert draft.data["summary"] == "The cache fell over."
    assert draft.data["lessonsLearned"]["technical"] == "Watch the disk."
    assert "lessonsLearned" in draft.recognised
