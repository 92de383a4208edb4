"""An action item's completedAt (set when it becomes DONE, cleared when it leaves DONE,
filled for old DONE items from their history) and its updatedAt (moved by a change to the
item, and only by one)."""

import importlib
from datetime import timedelta

from django.apps import apps
from django.utils import timezone

from hindsight.postmortems.models import ActionItem, Revision

fill = importlib.import_module(
    "hindsight.postmortems.migrations.0006_document_and_completion"
).fill_completed_at


def _items(api, pm_id):
    return api.get(f"/api/postmortems/{pm_id}").json()["actionItems"]


def test_completed_at_is_set_on_done_and_cleared_when_the_item_reopens(alice, api_for, postmortem):
    api = api_for(alice)
    item_id = postmortem["actionItems"][0]["id"]
    assert postmortem["actionItems"][0]["completedAt"] is None

    before = timezone.now()
    done = api.patch(f"/api/action-items/{item_id}", {"status": "DONE"}).json()
    completed = ActionItem.objects.get(pk=item_id).completed_at
    assert completed is not None and before - timedelta(seconds=1) <= completed
    assert done["completedAt"] == _items(api, postmortem["id"])[0]["completedAt"]
    assert done["completedAt"].endswith("Z")

    # Sending back what GET returned (completedAt included) changes nothing.
    items = _items(api, postmortem["id"])
    items[0]["completedAt"] = "1999-01-01T00:00:00Z"
    api.patch(f"/api/postmortems/{postmortem['id']}", {"actionItems": items})
    assert ActionItem.objects.get(pk=item_id).completed_at == completed

    api.patch(f"/api/action-items/{item_id}", {"status": "IN_PROGRESS"})
    assert ActionItem.objects.get(pk=item_id).completed_at is None
    assert _items(api, postmortem["id"])[0]["completedAt"] is None


def test_an_item_created_done_and_a_bulk_change_are_completed_too(
    alice, api_for, incident, seed_body
):
    api = api_for(alice)
    seed_body["actionItems"][0]["status"] = "DONE"
    created = api.post("/api/postmortems", seed_body).json()
    assert created["actionItems"][0]["completedAt"] is not None
    assert created["actionItems"][1]["completedAt"] is None

    ids = [item["id"] for item in created["actionItems"][1:]]
    assert api.post("/api/action-items/bulk", {"ids": ids, "status": "DONE"}).status_code == 200
    assert all(ActionItem.objects.get(pk=i).completed_at for i in ids)


def test_completion_stays_editable_once_published(alice, api_for, postmortem, settings):
    api = api_for(alice)
    pm = f"/api/postmortems/{postmortem['id']}"
    api.patch(pm, {"status": "IN_REVIEW"})
    assert api.patch(pm, {"status": "PUBLISHED"}).status_code == 200
    item_id = postmortem["actionItems"][0]["id"]
    response = api.patch(f"/api/action-items/{item_id}", {"status": "DONE"})
    assert response.status_code == 200, response.content
    assert response.json()["completedAt"] is not None


def test_updated_at_moves_for_the_changed_item_only(alice, api_for, postmortem):
    api = api_for(alice)
    first, second = (i["id"] for i in postmortem["actionItems"][:2])
    ActionItem.objects.update(updated_at=timezone.now() - timedelta(days=3))
    old_second = ActionItem.objects.get(pk=second).updated_at

    items = _items(api, postmortem["id"])
    items[0]["owner"] = "someone-else@example.com"
    api.patch(f"/api/postmortems/{postmortem['id']}", {"actionItems": items})
    assert timezone.now() - ActionItem.objects.get(pk=first).updated_at < timedelta(minutes=1)
    assert ActionItem.objects.get(pk=second).updated_at == old_second

    listed = {
        row["id"]: row
        for row in api.get("/api/action-items", params={"postmortemId": postmortem["id"]}).json()[
            "items"
        ]
    }
    assert listed[first]["updatedAt"] > listed[second]["updatedAt"]


def test_the_migration_fills_old_done_items_from_their_history(alice, api_for, postmortem):
    api = api_for(alice)
    first, second = (i["id"] for i in postmortem["actionItems"][:2])
    api.patch(f"/api/action-items/{first}", {"status": "DONE"})
    became_done = Revision.objects.filter(postmortem_id=postmortem["id"]).latest("version")
    Revision.objects.filter(pk=became_done.pk).update(
        changed_at=timezone.now() - timedelta(days=10)
    )
    # Done without a trace in the history (an old import, say): its last change counts.
    long_ago = timezone.now() - timedelta(days=20)
    ActionItem.objects.filter(pk=second).update(status="DONE", updated_at=long_ago)
    ActionItem.objects.update(completed_at=None)

    fill(apps, None)

    became_done.refresh_from_db()
    assert ActionItem.objects.get(pk=first).completed_at == became_done.changed_at
    assert ActionItem.objects.get(pk=second).completed_at == long_ago
    assert (
        ActionItem.objects.exclude(pk__in=[first, second])
        .filter(completed_at__isnull=False)
        .count()
        == 0
    )
