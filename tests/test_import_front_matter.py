"""Front-matter keys Hindsight does not read are kept on the report as `frontMatter` and
written back by the Markdown export as they came, never over the keys of our own."""

import pytest

from hindsight.postmortems import export, limits
from hindsight.postmortems.markdown import frontmatter
from hindsight.postmortems.markdown.importer import parse
from hindsight.postmortems.models import PostMortem

pytestmark = pytest.mark.django_db

DOCUMENT = """---
title: Cache outage
description: The cache fell over on Tuesday.
team: storage
date: 2021-03-04
severity: SEV2
tags: [cache]
reviewed: 2021-03-09
owners:
  primary: alice
  backup: [bob, carol]
impact: named like one of our own keys
hindsight: 2
---

## Summary

The cache fell over.
"""
THEIRS = {
    "description": "The cache fell over on Tuesday.",
    "team": "storage",
    "reviewed": "2021-03-09",
    "owners": {"primary": "alice", "backup": ["bob", "carol"]},
    "impact": "named like one of our own keys",
    "hindsight": 2,
}


def _import(api, text=DOCUMENT):
    response = api.post("/api/postmortems/import", raw=text, content_type="text/markdown")
    assert response.status_code == 201, response.content
    return response.json()


def test_keys_it_does_not_read_are_kept_as_they_came(alice, api_for):
    body = _import(api_for(alice))
    assert body["postmortem"]["frontMatter"] == THEIRS  # title, date, severity, tags were read
    stored = PostMortem.objects.get(pk=body["postmortem"]["id"])
    assert stored.front_matter == THEIRS
    read = api_for(alice).get(f"/api/postmortems/{stored.pk}").json()
    assert read["frontMatter"] == THEIRS


def test_a_known_key_whose_value_cannot_be_read_is_kept_too():
    draft = parse("---\nseverity: whenever\ntags: not a list\n---\n\n# T\n")
    assert draft.data["frontMatter"] == {"severity": "whenever", "tags": "not a list"}


def test_import_export_import_gives_the_same_front_matter(alice, api_for):
    api = api_for(alice)
    first = _import(api)["postmortem"]
    markdown = api.get(f"/api/postmortems/{first['id']}/export?format=markdown").content.decode()
    front = frontmatter.load(markdown.split("---\n")[1])
    assert front["description"] == "The cache fell over on Tuesday."  # beside ours, as it came
    assert front["team"] == "storage"
    assert front["hindsight"] == frontmatter.VERSION  # ours is not overridden…
    assert front["frontMatter"] == {"impact": THEIRS["impact"], "hindsight": 2}  # …theirs kept
    assert "exact" not in front  # read back from the body and front matter alone
    second = _import(api, markdown)["postmortem"]
    assert second["frontMatter"] == first["frontMatter"] == THEIRS
    assert second["impact"] is None


def test_unknown_keys_never_override_the_exports_own(alice, api_for, incident):
    api = api_for(alice)
    theirs = {"incidentId": "inc_other", "tags": ["planted"], "title": "Other", "x": 1}
    created = api.post(
        "/api/postmortems",
        {"incidentId": incident.pk, "title": "Real", "tags": ["db"], "frontMatter": theirs},
    )
    assert created.status_code == 201, created.content
    stored = PostMortem.objects.with_report().get(pk=created.json()["id"])
    markdown = export.to_markdown(stored)
    front = frontmatter.load(markdown.split("---\n")[1])
    assert front["incidentId"] == incident.pk
    assert front["tags"] == ["db"]
    draft = parse(markdown)
    assert draft.data["title"] == "Real"
    assert draft.data["tags"] == ["db"]
    assert draft.data["incidentId"] == incident.pk
    assert draft.data["frontMatter"] == theirs


def test_front_matter_is_written_through_the_api_with_its_limit(alice, api_for, postmortem):
    api = api_for(alice)
    path = f"/api/postmortems/{postmortem['id']}"
    assert postmortem["frontMatter"] == {}
    changed = api.patch(path, {"frontMatter": {"team": "storage"}})
    assert changed.status_code == 200, changed.content
    assert PostMortem.objects.get(pk=postmortem["id"]).front_matter == {"team": "storage"}
    too_big = api.patch(path, {"frontMatter": {"x": "a" * limits.FRONT_MATTER}})
    assert too_big.status_code == 422
    assert "frontMatter" in too_big.content.decode()
    assert api.patch(path, {"frontMatter": {"n": 10**150}}).status_code == 422
    assert api.patch(path, {"frontMatter": {"": 1}}).status_code == 422
    assert api.patch(path, {"frontMatter": None}).status_code == 422
    assert api.patch(path, {"frontMatter": ["a"]}).status_code == 422
    assert PostMortem.objects.get(pk=postmortem["id"]).front_matter == {"team": "storage"}


def test_a_viewer_cannot_change_the_front_matter(carol, api_for, postmortem):
    response = api_for(carol).patch(
        f"/api/postmortems/{postmortem['id']}", {"frontMatter": {"team": "x"}}
    )
    assert response.status_code in (403, 404)
    assert PostMortem.objects.get(pk=postmortem["id"]).front_matter == {}
