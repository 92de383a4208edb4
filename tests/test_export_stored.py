"""The Markdown export is stored by the worker after each write (or by the first export of
each version of a report) and reused until the record or the export code changes; the
shortcut that spares most texts a parse agrees with the parse."""

import itertools

import pytest

from hindsight.notifications.conf import WorkerConfig
from hindsight.notifications.worker import Worker
from hindsight.postmortems import export
from hindsight.postmortems.models import PostMortem


@pytest.fixture
def api(alice, api_for):
    return api_for(alice)


@pytest.fixture
def renders(monkeypatch):
    """Counts the Markdown renders (each reads the text back through the importer)."""
    calls = []
    real = export.render

    def counted(data):
        calls.append(data["title"])
        return real(data)

    monkeypatch.setattr(export, "render", counted)
    return calls


def markdown(api, pm_id: str) -> str:
    response = api.get(f"/api/postmortems/{pm_id}/export")
    assert response.status_code == 200, response.content
    return response.content.decode()


def test_the_second_export_reuses_the_stored_text(api, postmortem, renders):
    first = markdown(api, postmortem["id"])
    second = markdown(api, postmortem["id"])
    assert second == first
    assert len(renders) == 1
    stored = PostMortem.objects.get(pk=postmortem["id"]).markdown
    assert stored.endswith(first)


def test_a_change_is_exported_at_once(api, postmortem, renders):
    markdown(api, postmortem["id"])
    response = api.patch(
        f"/api/postmortems/{postmortem['id']}",
        {"summary": "A new summary, exported at once."},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.content
    assert "A new summary, exported at once." in markdown(api, postmortem["id"])
    assert len(renders) == 2
    assert export.to_markdown(PostMortem.objects.with_report().get(pk=postmortem["id"])) == (
        markdown(api, postmortem["id"])
    )


def test_text_stored_by_other_code_is_not_reused(api, postmortem, renders):
    fresh = markdown(api, postmortem["id"])
    key = PostMortem.objects.get(pk=postmortem["id"]).markdown[: -len(fresh)]
    other_code = "0" * len(export._CODE) + key[len(export._CODE) :]
    PostMortem.objects.filter(pk=postmortem["id"]).update(markdown=other_code + "# Stale\n")
    assert markdown(api, postmortem["id"]) == fresh
    assert len(renders) == 2


def test_another_reader_gets_the_same_stored_text(api, postmortem, bob, api_for, renders):
    PostMortem.objects.filter(pk=postmortem["id"]).update(status="PUBLISHED")
    mine = markdown(api, postmortem["id"])
    assert markdown(api_for(bob), postmortem["id"]) == mine
    assert len(renders) == 1


def test_a_reader_who_may_not_read_gets_nothing_stored(postmortem, bob, api_for):
    response = api_for(bob).get(f"/api/postmortems/{postmortem['id']}/export")
    assert response.status_code == 404
    assert PostMortem.objects.get(pk=postmortem["id"]).markdown == ""


LINES = [
    "Plain prose.",
    "# heading",
    "   ## indented heading",
    "    # code, not a heading",
    "===",
    "---",
    "- a list item",
    "* another",
    "1. numbered",
    "> a quote",
    "```",
    "~~~",
    "<pre>",
    "<!-- comment",
    "| a | b |",
    "| --- | --- |",
    "",
    "\tTabbed # text",
    "text with # inside",
    "Title\r===",
    "line\r# heading after a lone CR",
]


def test_the_shortcut_agrees_with_the_parse():
    """Every text of up to three of these lines: where the shortcut answers, the parse
    (the real test) gives the same answer."""
    checked = 0
    for count in (1, 2, 3):
        for lines in itertools.product(LINES, repeat=count):
            text = "\n".join(lines)
            if not export._MAY_LEAVE_SECTION.search(text.replace("\r\n", "\n").replace("\r", "\n")):
                assert export._parsed_safe(text), repr(text)
                checked += 1
    assert checked > 100


def test_a_write_leaves_the_export_due_and_the_worker_stores_it(api, postmortem, renders):
    assert PostMortem.objects.get(pk=postmortem["id"]).markdown == ""  # written: due
    Worker(WorkerConfig.from_env()).check()
    stored = PostMortem.objects.get(pk=postmortem["id"]).markdown
    assert len(renders) == 1 and stored
    exported = markdown(api, postmortem["id"])
    assert len(renders) == 1  # the export read what the worker stored
    assert stored.endswith(exported)
    assert exported == export.to_markdown(PostMortem.objects.with_report().get(pk=postmortem["id"]))
    changed = api.patch(
        f"/api/postmortems/{postmortem['id']}",
        {"summary": "Changed after the export was stored."},
        headers={"If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.content
    assert PostMortem.objects.get(pk=postmortem["id"]).markdown == ""  # due again
    assert export.store_due_markdown() == 1
    assert export.store_due_markdown() == 0  # nothing left due
    before = len(renders)
    assert "Changed after the export was stored." in markdown(api, postmortem["id"])
    assert len(renders) == before


def test_an_export_stored_by_the_worker_is_that_of_the_stored_document(api, postmortem):
    """The worker reads the stored document, not the rows: what it stores is what an export
    of the same version would have rendered itself."""
    assert export.store_due_markdown() == 1
    by_worker = PostMortem.objects.get(pk=postmortem["id"]).markdown
    PostMortem.objects.filter(pk=postmortem["id"]).update(markdown="")
    markdown(api, postmortem["id"])  # the export renders and stores it itself
    assert PostMortem.objects.get(pk=postmortem["id"]).markdown == by_worker


def test_a_report_whose_export_fails_leaves_the_others_stored(
    api, postmortem, incident, seed_body, monkeypatch, caplog
):
    other = api.post("/api/postmortems", {**seed_body, "title": "Another outage"}).json()
    real = export.render

    def failing(data):
        if data["title"] == "Another outage":
            raise ValueError("cannot render")
        return real(data)

    monkeypatch.setattr(export, "render", failing)
    assert export.store_due_markdown() == 1  # the other is logged and left due
    assert PostMortem.objects.get(pk=postmortem["id"]).markdown
    assert PostMortem.objects.get(pk=other["id"]).markdown == ""
    assert "Could not store the Markdown export of " + other["id"] in caplog.text
