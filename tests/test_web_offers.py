"""People are offered only what they may do, asked of the services' permission functions."""

import pytest
from django.test import Client

from hindsight.postmortems import services
from hindsight.postmortems.models import ActionItem, PostMortem


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def dave(make_user):
    return make_user("dave")


@pytest.fixture
def published(alice, postmortem):
    services.update_postmortem(postmortem["id"], {"status": "IN_REVIEW"}, by=alice)
    services.update_postmortem(postmortem["id"], {"status": "PUBLISHED"}, by=alice)
    return PostMortem.objects.get(pk=postmortem["id"])


def first_item(pm) -> ActionItem:
    return ActionItem.objects.filter(postmortem_id=pm.id).order_by("position").first()


def test_a_viewer_is_not_offered_a_new_post_mortem(carol, postmortem):
    client = signed_in(carol)
    home = client.get("/").content.decode()
    assert "New post-mortem" not in home
    assert "Start one" not in home
    response = client.get("/postmortems/new")
    assert response.status_code == 403
    assert "Viewers cannot create post-mortems" in response.content.decode()


def test_the_status_control_is_offered_only_to_who_may_follow_through(alice, dave, published):
    item = first_item(published)
    control = f'action="/action-items/{item.id}/status"'
    assert control in signed_in(alice).get(f"/postmortems/{published.id}").content.decode()
    assert control not in signed_in(dave).get(f"/postmortems/{published.id}").content.decode()


def test_an_owner_of_any_role_follows_through_but_does_not_hand_the_item_on(
    alice, carol, published
):
    item = first_item(published)
    services.update_action_item(item.id, {"owner": "carol"}, by=alice)
    page = signed_in(carol).get(f"/postmortems/{published.id}").content.decode()
    assert f'action="/action-items/{item.id}/status"' in page
    assert f'id="fo-{item.id}"' not in page  # no owner field for her
    assert (
        f'id="fo-{item.id}"'
        in signed_in(alice).get(f"/postmortems/{published.id}").content.decode()
    )
    signed_in(carol).post(f"/action-items/{item.id}/status", {"status": "DONE"})
    item.refresh_from_db()
    assert item.status == "DONE"
    signed_in(carol).post(f"/action-items/{item.id}/follow-through", {"owner": "carol@example.com"})
    item.refresh_from_db()
    assert item.owner == "carol"


def test_nobody_follows_through_on_an_archived_report(alice, published):
    for item in ActionItem.objects.filter(postmortem_id=published.id):
        services.update_action_item(item.id, {"status": "DONE"}, by=alice)
    services.update_postmortem(published.id, {"status": "ARCHIVED"}, by=alice)
    archived = PostMortem.objects.get(pk=published.id)
    page = signed_in(alice).get(f"/postmortems/{archived.id}").content.decode()
    assert '/status"' not in page.split('id="action-items"')[1].split("</section>")[0]
    assert not services.may_follow_through(archived, "alice", alice)
