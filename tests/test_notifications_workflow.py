"""The domain's workflow announces its events through the outbox (the seam in lib/events.py)."""

from hindsight.notifications.models import Delivery


def make_webhook(admin_api, url) -> dict:
    response = admin_api.post("/api/channels", {"name": "Ops hook", "kind": "webhook", "url": url})
    assert response.status_code == 201, response.content
    return response.json()


def test_a_workflow_change_queues_its_event_without_sending(admin, alice, postmortem, api_for):
    admin_api = api_for(admin)
    channel = make_webhook(admin_api, "http://127.0.0.1:9/hook")
    response = api_for(alice).patch(f"/api/postmortems/{postmortem['id']}", {"status": "IN_REVIEW"})
    assert response.status_code == 200, response.content
    delivery = Delivery.objects.select_related("event").get(channel_id=channel["id"])
    assert delivery.event.name == "postmortem.submitted"
    assert delivery.event.data["postmortemId"] == postmortem["id"]
    assert delivery.status == "pending" and delivery.attempts == 0
