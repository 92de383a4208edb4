"""A web form writes only what the person changed: each edit form carries the values it was
rendered with, and a field someone else changed meanwhile is kept."""

import re

import pytest
from django.test import Client

from hindsight.postmortems import services
from hindsight.postmortems.models import ActionItem, PostMortem, Revision


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rendered_form(body: str, action: str) -> dict:
    """The fields of the form posting to ACTION as the page rendered them (inputs, selects,
    textareas), as a browser without JavaScript would send them untouched."""
    start = body.index(f'action="{action}"')
    form = body[start : body.index("</form>", start)]
    data = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form):
        data[name] = value
    for name in re.findall(r'<input[^>]*name="([^"]+)"(?![^>]*value=)', form):
        data.setdefault(name, "")
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', form):
        data[name] = text
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        data[name] = chosen.group(1) if chosen else ""
    data.pop("csrfmiddlewaretoken", None)
    return data


@pytest.fixture
def published(alice, postmortem):
    services.update_postmortem(postmortem["id"], {"status": "IN_REVIEW"}, by=alice)
    services.update_postmortem(postmortem["id"], {"status": "PUBLISHED"}, by=alice)
    return PostMortem.objects.get(pk=postmortem["id"])


def first_item(pm) -> ActionItem:
    return ActionItem.objects.filter(postmortem_id=pm.id).order_by("position").first()


def test_saving_a_tracker_link_keeps_a_status_set_after_the_page_was_rendered(alice, published):
    item = first_item(published)
    action = f"/action-items/{item.id}/follow-through"
    page = signed_in(alice).get(f"/postmortems/{published.id}").content.decode()
    form = rendered_form(page, action)
    assert form["status"] == "TODO"
    # The inline status control (or anyone else) moves it on meanwhile.
    signed_in(alice).post(f"/action-items/{item.id}/status", {"status": "IN_PROGRESS"})
    form["tracker_url"] = "https://github.com/acme/app/issues/9"
    assert signed_in(alice).post(action, form).status_code == 302
    item.refresh_from_db()
    assert (item.status, item.tracker_url) == ("IN_PROGRESS", form["tracker_url"])
    last = Revision.objects.filter(postmortem_id=published.id).order_by("-version").first()
    mine = next(i for i in last.changes["actionItems"]["new"] if i["id"] == item.id)
    assert mine["status"] == "IN_PROGRESS"


def test_the_item_edit_form_keeps_a_status_set_after_the_page_was_rendered(alice, postmortem):
    pm = PostMortem.objects.get(pk=postmortem["id"])
    item = first_item(pm)
    action = f"/action-items/{item.id}"
    form = rendered_form(
        signed_in(alice).get(f"/postmortems/{pm.id}/edit").content.decode(), action
    )
    signed_in(alice).post(f"/action-items/{item.id}/status", {"status": "IN_PROGRESS"})
    form["item-why"] = "So the next outage pages us first."
    signed_in(alice).post(action, form)
    item.refresh_from_db()
    assert (item.status, item.why) == ("IN_PROGRESS", "So the next outage pages us first.")


def test_the_event_edit_form_keeps_a_field_someone_else_changed(alice, bob, postmortem):
    pm = PostMortem.objects.get(pk=postmortem["id"])
    services.update_postmortem(pm.id, {"contributors": ["bob"]}, by=alice)
    event = pm.timeline_events.order_by("position").first()
    action = f"/postmortems/{pm.id}/timeline/{event.id}"
    form = rendered_form(
        signed_in(alice).get(f"/postmortems/{pm.id}/edit").content.decode(), action
    )
    # Bob names who acted while Alice's page is open.
    events = services.snapshot(PostMortem.objects.get(pk=pm.id))["timeline"]
    events = [dict(e, who="bob (on call)") if e["id"] == event.id else e for e in events]
    services.update_postmortem(pm.id, {"timeline": events}, by=bob)
    form["event-notes"] = "Seen first on the checkout dashboard."
    signed_in(alice).post(action, form)
    event.refresh_from_db()
    assert (event.who, event.notes) == ("bob (on call)", "Seen first on the checkout dashboard.")


def test_a_form_sent_unchanged_writes_nothing(alice, published):
    item = first_item(published)
    action = f"/action-items/{item.id}/follow-through"
    form = rendered_form(
        signed_in(alice).get(f"/postmortems/{published.id}").content.decode(), action
    )
    version = PostMortem.objects.get(pk=published.id).version
    response = signed_in(alice).post(action, form, follow=True)
    assert "Nothing changed." in response.content.decode()
    assert PostMortem.objects.get(pk=published.id).version == version
