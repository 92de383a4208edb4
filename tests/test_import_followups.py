"""Follow-ups written anywhere in a document become action items, not only a list under an
"Action Items" heading; what was read into items leaves the section's text, as it does
under that heading, and the rest of the section stays as written."""

import pytest

from hindsight.postmortems.markdown.importer import import_markdown, parse
from hindsight.postmortems.models import PostMortem


def _items(draft) -> list[tuple[str, str]]:
    return [(i["status"], i["description"]) for i in draft.data["actionItems"]]


def test_actions_taken_and_planned_blocks_inside_a_section_are_items():
    draft = parse(
        "# Cache outage\n\n## Resolution\n\nWe restarted the nodes.\n\n"
        "**Actions taken:**\n- Restarted the cache nodes\n- Raised the memory limit\n\n"
        "**Actions planned:**\n- Add a memory alert\n- [x] Review config pushes\n\n"
        "The cache has been stable since.\n"
    )
    assert _items(draft) == [
        ("DONE", "Restarted the cache nodes"),
        ("DONE", "Raised the memory limit"),
        ("TODO", "Add a memory alert"),
        ("DONE", "Review config pushes"),  # its own box wins over the label
    ]
    assert draft.data["actionItems"][0]["why"] == "Listed under “Actions taken”."
    assert draft.data["resolution"]["howFixed"] == (
        "We restarted the nodes.\n\nThe cache has been stable since."
    )
    assert "actionItems" in draft.recognised


def test_a_planned_label_outweighs_words_that_sound_done():
    draft = parse(
        "# T\n\n## Impact\n\nDown.\n\nActions planned:\n- Make sure the leak is fixed in v2\n"
    )
    assert _items(draft) == [("TODO", "Make sure the leak is fixed in v2")]
    assert draft.data["impact"] == "Down."


def test_status_word_paragraphs_are_items_and_keep_the_words_that_say_more():
    draft = parse(
        "# Cache outage\n\n## Meeting notes\n\nWe met on Monday.\n\n"
        "**TODO**: Write a runbook\nfor cache restarts.\n\n**DONE**: Pin the client version.\n\n"
        "**DOING**: Move to the new cluster.\n\nFAILED: Retry the migration.\n"
    )
    assert _items(draft) == [
        ("TODO", "Write a runbook\nfor cache restarts."),
        ("DONE", "Pin the client version."),
        ("IN_PROGRESS", "Move to the new cluster."),
        ("TODO", "[FAILED] Retry the migration."),
    ]
    assert draft.data["customSections"] == [
        {"heading": "Meeting notes", "body": "We met on Monday."}
    ]
    assert draft.data["actionItems"][0]["why"] == "Listed under “Meeting notes”."


def test_a_sentence_starting_with_a_capital_word_is_not_a_status():
    draft = parse("# T\n\n## Summary\n\nDONE right, this would not have happened.\n")
    assert draft.data["actionItems"] == []
    assert draft.data["summary"] == "DONE right, this would not have happened."


def test_a_bare_action_items_line_above_a_list_is_a_heading_for_it():
    draft = parse(
        "# Cache outage\n\n## Summary\n\nThe cache fell over.\n\nAction Items\n"
        "- Fix the autoscaler\n- DONE: Test failover\n"
    )
    assert _items(draft) == [("TODO", "Fix the autoscaler"), ("DONE", "Test failover")]
    assert draft.data["summary"] == "The cache fell over."
    assert draft.custom == []


def test_a_sentence_ending_in_action_items_is_not_a_label():
    text = (
        "# T\n\n## What went wrong\n\nThese should become issues linked under\n"
        "Action items.\n\n1. Nobody noticed for 40 minutes\n"
    )
    draft = parse(text)
    assert draft.data["actionItems"] == []
    assert "Nobody noticed for 40 minutes" in draft.data["wentWrong"]["response"]


@pytest.mark.parametrize("heading", ["Countermeasures", "Measures", "Counter-measures"])
def test_numbered_measures_are_action_items(heading):
    draft = parse(f"# T\n\n## {heading}\n\n1. Add load tests\n2. Alert on evictions\n")
    assert _items(draft) == [("TODO", "Add load tests"), ("TODO", "Alert on evictions")]
    assert draft.custom == []


def test_measures_named_inside_another_section_are_action_items():
    draft = parse(
        "# T\n\n## Root Cause\n\nA full disk.\n\nCountermeasures:\n\n1. Watch the disk\n"
        "2. Rotate the logs\n"
    )
    assert _items(draft) == [("TODO", "Watch the disk"), ("TODO", "Rotate the logs")]
    assert draft.data["rootCause"] == "A full disk."


def test_a_heading_saying_the_actions_were_taken_marks_them_done():
    draft = parse(
        "# T\n\n## Remediation\n\n### Immediate actions (completed)\n\n- Raised the limit\n\n"
        "### Planned actions\n\n- Add an alert\n"
    )
    assert _items(draft) == [("DONE", "Raised the limit"), ("TODO", "Add an alert")]


def test_labels_inside_the_action_items_section_group_its_lists():
    draft = parse(
        "# T\n\n## Action Items\n\n**Actions taken:**\n- Raised the limit\n\n"
        "**Short term:**\n- Add an alert\n\n**TODO**: Write a runbook\n"
    )
    items = draft.data["actionItems"]
    assert _items(draft) == [
        ("DONE", "Raised the limit"),
        ("TODO", "Add an alert"),
        ("TODO", "Write a runbook"),
    ]
    assert items[1]["horizon"] == "SHORT_TERM"
    assert draft.custom == []  # every label was read, none is left over


@pytest.mark.django_db
def test_follow_ups_from_sections_are_stored_as_the_reports_items(alice):
    result = import_markdown(
        "# Cache outage\n\n## Resolution\n\nRestarted.\n\n**Actions taken:**\n- Raised the limit\n"
        "\n**Actions planned:**\n- Add an alert\n",
        by=alice,
    )
    stored = PostMortem.objects.get(pk=result.postmortem.pk)
    assert [(i.status, i.description) for i in stored.action_item_list] == [
        ("DONE", "Raised the limit"),
        ("TODO", "Add an alert"),
    ]
    assert stored.section("resolution")["howFixed"] == "Restarted."
    assert "actionItems" in result.recognised


def test_recognised_stays_honest_when_a_section_held_only_what_was_read_elsewhere():
    draft = parse(
        "# Cache outage\n\nStart: some time on Tuesday\n\n## Summary\n\nDown.\n\n"
        "## Resolution\n\n**Actions taken:**\n- Restarted the nodes\n\n"
        "## Odds and ends\n\n**TODO**: Write a runbook\n\n## Root Cause\n\n_None._\n"
    )
    assert sorted(draft.recognised) == ["actionItems", "summary"]
    assert draft.custom == ["Preamble"]  # the unread start line, kept; the emptied section gone
    assert draft.data["customSections"][0]["body"] == "Start: some time on Tuesday"
    assert [i["why"] for i in draft.data["actionItems"]] == [
        "Listed under “Actions taken”.",
        "Listed under “Odds and ends”.",
    ]


@pytest.mark.django_db
def test_the_import_answer_lists_what_was_read_and_nothing_else(alice, api_for):
    response = api_for(alice).post(
        "/api/postmortems/import",
        raw="---\nteam: storage\n---\n# T\n\nStart: 2021-03-04 10:00 UTC\n\n## Timeline\n\n"
        "No entries kept.\n\n## Resolution\n\nActions planned:\n- Add an alert\n",
        content_type="text/markdown",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert sorted(body["recognised"]) == ["actionItems", "startedAt"]
    assert body["custom"] == ["Timeline"]
    assert body["postmortem"]["frontMatter"] == {"team": "storage"}
