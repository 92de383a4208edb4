"""The stored document: every kind of change leaves it equal to a fresh render of the
report, reads come from it in one query, and documents written by an older version of the
code are rendered afresh on read and rewritten by `hindsight migrate`."""

import json
from datetime import timedelta

from django.utils import timezone

from hindsight.incidents.services import update_incident
from hindsight.lib.markdown import Renderings
from hindsight.lib.times import parse_timestamp
from hindsight.postmortems import document
from hindsight.postmortems.models import PostMortem
from hindsight.postmortems.schemas import PostMortemOut
from hindsight.postmortems.services import snapshot


def _fresh(postmortem_id: str) -> dict:
    postmortem = PostMortem.objects.with_report().get(pk=postmortem_id)
    return document.finish(
        document.render(postmortem),
        status=postmortem.status,
        resolved_at=postmortem.incident.resolved_at,
    )


def _stored(postmortem_id: str) -> dict:
    postmortem = PostMortem.objects.select_related("incident").get(pk=postmortem_id)
    assert postmortem.render_version == document.RENDER_VERSION
    return document.finish(
        json.loads(postmortem.document),
        status=postmortem.status,
        resolved_at=postmortem.incident.resolved_at,
    )


def assert_current(api, postmortem_id: str) -> dict:
    """The stored document, GET's answer and a fresh render all agree, and hold exactly the
    keys the response schema declares."""
    stored, fresh = _stored(postmortem_id), _fresh(postmortem_id)
    assert stored == fresh
    got = api.get(f"/api/postmortems/{postmortem_id}")
    assert got.status_code == 200
    assert got.json() == json.loads(document.encode(fresh))
    declared = {field.alias or name for name, field in PostMortemOut.model_fields.items()}
    assert set(fresh) == declared
    # Every value of its declared type, no key missing or extra.
    PostMortemOut.model_validate(fresh, by_alias=True, by_name=False)
    # The stored renderings are those of the report's texts as they now stand.
    stored_pm = PostMortem.objects.get(pk=postmortem_id)
    body = document.render(PostMortem.objects.with_report().get(pk=postmortem_id))
    fresh_html = Renderings.of(document.markdown_texts(body)).stored
    assert Renderings.loads(stored_pm.html).stored == fresh_html
    row = json.loads(stored_pm.list_row)
    assert row["title"] == fresh["title"] and row["version"] == fresh["version"]
    assert_pages_read_the_same(postmortem_id)
    return fresh


def assert_pages_read_the_same(postmortem_id: str) -> None:
    """The report the pages build from the stored document (one query) is the one its rows
    make: every field, nested row, instant and label."""
    loaded = PostMortem.objects.with_report().get(pk=postmortem_id)
    built = document.load(loaded.created_by, postmortem_id)
    assert snapshot(built) == snapshot(loaded)
    assert [(e.id, e.at) for e in built.timeline] == [(e.id, e.at) for e in loaded.timeline]
    assert [(i.id, i.is_overdue) for i in built.action_item_list] == [
        (i.id, i.is_overdue) for i in loaded.action_item_list
    ]


def test_every_kind_of_change_leaves_the_document_equal_to_a_fresh_render(
    alice, bob, api_for, postmortem, incident
):
    api = api_for(alice)
    pm_id = postmortem["id"]
    assert_current(api, pm_id)

    # Text, sections, labels.
    api.patch(
        f"/api/postmortems/{pm_id}",
        {
            "summary": "Changed",
            "tags": ["db", "pool"],
            "fiveWhys": {"problem": "p", "whys": [{"why": "w", "answer": "a"}]},
        },
    )
    assert_current(api, pm_id)

    # Nested lists: edit one, add one, drop one.
    body = api.get(f"/api/postmortems/{pm_id}").json()
    events = body["timeline"]
    events[0]["description"] = "Edited"
    events = [*events[:-1], {"time": "14:33", "description": "Earlier, new"}]
    items = body["actionItems"][:2]
    items[1]["dueDate"] = (timezone.localdate() - timedelta(days=2)).isoformat()  # overdue
    response = api.patch(f"/api/postmortems/{pm_id}", {"timeline": events, "actionItems": items})
    assert response.status_code == 200, response.content
    fresh = assert_current(api, pm_id)
    assert fresh["actionItems"][1]["overdue"] is True
    assert response.json() == json.loads(document.encode(fresh))

    # One item through its own endpoint; the workflow.
    item_id = items[0]["id"]
    assert api.patch(f"/api/action-items/{item_id}", {"status": "DONE"}).status_code == 200
    assert_current(api, pm_id)
    assert api.patch(f"/api/postmortems/{pm_id}", {"status": "IN_REVIEW"}).status_code == 200
    assert_current(api, pm_id)

    # The incident's start moves every time of day; its resolution makes the report due.
    update_incident(
        incident.id,
        {
            "started_at": parse_timestamp("2026-03-05T14:00:00Z"),
            "resolved_at": parse_timestamp("2026-03-05T16:00:00Z"),
        },
        by=alice,
    )
    fresh = assert_current(api, pm_id)
    assert fresh["timeline"][0]["at"].startswith("2026-03-05")
    assert fresh["overdue"] is True and fresh["dueAt"].startswith("2026-03-07")

    # The author renamed (as the admin does it).
    alice.username = "alice2"
    alice.save()
    document.on_user_renamed(None, user=alice)
    assert assert_current(api, pm_id)["createdBy"] == "alice2"


def test_a_user_rename_in_the_admin_re_renders_their_reports(admin, alice, postmortem, client):
    client.force_login(admin)
    response = client.post(
        f"/admin/accounts/user/{alice.pk}/change/",
        {
            "username": "alice-renamed",
            "email": alice.email,
            "role": alice.role,
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    stored = json.loads(PostMortem.objects.get(pk=postmortem["id"]).document)
    assert stored["createdBy"] == "alice-renamed"


def test_a_stale_document_is_rendered_afresh_on_read_and_rewritten_by_migrate(
    alice, api_for, postmortem, seed_body, capsys, monkeypatch
):
    from hindsight import cli
    from hindsight.lib import migrate

    # `hindsight migrate` runs the refresh under the migration lock; the lock and Django's
    # migrate are not what this test is about (and would close the test's connection).
    monkeypatch.setattr(migrate, "migrate_locked", lambda verbosity=0, then=None: then() or 0)

    api = api_for(alice)
    other = api.post("/api/postmortems", seed_body).json()["id"]
    expected = {pm: _fresh(pm) for pm in (postmortem["id"], other)}
    # One written by an older version, shaped differently; one never stored at all.
    PostMortem.objects.filter(pk=postmortem["id"]).update(
        document='{"old": true}',
        list_row='{"old": true}',
        render_version=document.RENDER_VERSION - 1,
    )
    PostMortem.objects.filter(pk=other).update(document="", list_row="", render_version=0)

    for pm in expected:
        assert api.get(f"/api/postmortems/{pm}").json() == json.loads(document.encode(expected[pm]))
        # The pages, too, load its rows instead of trusting the stale document.
        assert document.load(alice, pm).title == expected[pm]["title"]
        assert [e.id for e in document.load(alice, pm).timeline] == [
            e["id"] for e in expected[pm]["timeline"]
        ]
    listed = {row["id"]: row for row in api.get("/api/postmortems").json()["items"]}
    assert listed[other]["title"] == expected[other]["title"]
    assert listed[postmortem["id"]]["version"] == expected[postmortem["id"]]["version"]

    assert cli.main(["migrate"]) == 0
    assert "Re-rendered 2 stored post-mortem documents." in capsys.readouterr().out
    for pm in expected:
        assert _stored(pm) == expected[pm]


def test_refresh_stale_works_in_batches_on_a_filled_database(alice, api_for, incident, seed_body):
    api = api_for(alice)
    ids = [api.post("/api/postmortems", seed_body).json()["id"] for _ in range(7)]
    PostMortem.objects.update(render_version=0)
    batches = []
    assert document.refresh_stale(batch=3, progress=batches.append) == 7
    assert batches == [3, 6, 7]
    assert set(PostMortem.objects.values_list("render_version", flat=True)) == {
        document.RENDER_VERSION
    }
    assert document.refresh_stale() == 0
    for pm in ids:
        assert _stored(pm) == _fresh(pm)


def test_a_draft_stays_invisible_to_others_when_read_from_the_document(
    make_user, carol, api_for, postmortem
):
    for user in (make_user("dave"), carol):
        response = api_for(user).get(f"/api/postmortems/{postmortem['id']}")
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"


def test_the_json_export_is_the_stored_document(alice, api_for, postmortem):
    api = api_for(alice)
    exported = api.get(f"/api/postmortems/{postmortem['id']}/export", params={"format": "json"})
    assert exported.status_code == 200
    assert json.loads(exported.content) == api.get(f"/api/postmortems/{postmortem['id']}").json()
