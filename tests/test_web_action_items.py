"""The Action Items page across post-mortems, its bulk status change and CSV link, and the
follow-through of a published report's items, through the web app."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from hindsight.incidents.services import update_incident
from hindsight.postmortems import services
from hindsight.postmortems.models import ActionItem, PostMortem


@pytest.fixture
def dana(make_user):
    return make_user("dana")


@pytest.fixture
def published(alice, postmortem):
    services.update_postmortem(postmortem["id"], {"status": "IN_REVIEW"}, by=alice)
    services.update_postmortem(postmortem["id"], {"status": "PUBLISHED"}, by=alice)
    return PostMortem.objects.get(pk=postmortem["id"])


@pytest.fixture
def danas_draft(dana, incident):
    return services.create_postmortem(
        {
            "incident_id": incident.id,
            "title": "Dana's private draft",
            "action_items": [{"description": "Secret follow-up of a draft", "owner": "alice"}],
        },
        by=dana,
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def items(pm) -> list[ActionItem]:
    return list(ActionItem.objects.filter(postmortem_id=pm.id).order_by("position"))


def test_the_page_lists_visible_items_and_never_those_of_others_drafts(
    alice, postmortem, danas_draft
):
    body = signed_in(alice).get("/action-items").content.decode()
    assert "Implement connection pool monitoring with alerts" in body
    assert "Secret follow-up of a draft" not in body
    assert "3 open action items" in body
    assert f'href="/postmortems/{postmortem["id"]}#action-items"' in body


def test_a_viewer_sees_published_items_but_not_drafts(carol, published, danas_draft):
    body = signed_in(carol).get("/action-items").content.decode()
    assert "Review capacity planning procedures" in body
    assert "Secret follow-up of a draft" not in body


def test_filters_are_the_apis_query_parameters_and_feed_the_csv_link(alice, postmortem):
    item = items(PostMortem.objects.get(pk=postmortem["id"]))[0]
    services.update_action_item(
        item.id, {"due_date": timezone.localdate() - timedelta(days=3)}, by=alice
    )
    body = signed_in(alice).get("/action-items?priority=HIGH&overdue=true").content.decode()
    assert "1 open action item " in body
    assert "Implement connection pool monitoring" in body
    assert "Add auto-scaling" not in body
    # A word with an icon, not colour alone.
    assert re.search(r'class="flag-overdue"><svg [^>]*class="icon".*?</svg>Overdue<', body, re.S)
    assert (
        'href="/api/action-items.csv?priority=HIGH&amp;overdue=true&amp;status=TODO%2CIN_PROGRESS"'
        in body
    )


def test_the_csv_link_answers_with_the_signed_in_session(alice, postmortem):
    response = signed_in(alice).get("/api/action-items.csv?priority=MEDIUM")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert "Review capacity planning procedures" in text
    assert "Add auto-scaling" not in text


def test_my_action_items_are_those_owned_by_me(alice, postmortem, api_for):
    item = items(PostMortem.objects.get(pk=postmortem["id"]))[1]
    services.update_action_item(item.id, {"owner": "alice@example.com"}, by=alice)
    body = signed_in(alice).get("/action-items?mine=true").content.decode()
    assert "1 open action item " in body
    assert "Add auto-scaling for database connections" in body
    home = signed_in(alice).get("/").content.decode()
    assert 'href="/action-items?mine=true"' in home


def test_a_bad_filter_is_reported_and_ignored(alice, postmortem):
    body = signed_in(alice).get("/action-items?status=SOMEDAY").content.decode()
    assert "were not understood" in body
    assert "3 open action items" in body


def test_the_list_is_paginated(alice, incident):
    services.create_postmortem(
        {
            "incident_id": incident.id,
            "title": "Many items",
            "action_items": [{"description": f"Item number {n}"} for n in range(25)],
        },
        by=alice,
    )
    client = signed_in(alice)
    first = client.get("/action-items").content.decode()
    assert "Page 1 of 2" in first
    second = client.get("/action-items?page=2").content.decode()
    assert second.count('name="ids"') == 5


def test_bulk_status_changes_every_ticked_item(alice, published):
    ids = [i.id for i in items(published)[:2]]
    response = signed_in(alice).post(
        "/action-items/bulk", {"ids": ids, "status": "DONE", "next": "/action-items?status=TODO"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/action-items?status=TODO"
    assert [i.status for i in items(published)] == ["DONE", "DONE", "TODO"]


def test_bulk_status_is_all_or_nothing_with_a_clear_message(alice, dana, published, incident):
    other = services.create_postmortem(
        {
            "incident_id": incident.id,
            "title": "Dana's report",
            "action_items": [{"description": "Dana's own item", "owner": "dana"}],
        },
        by=dana,
    )
    services.update_postmortem(other.id, {"status": "IN_REVIEW"}, by=dana)
    theirs = items(other)[0].id
    mine = items(published)[0].id
    client = signed_in(alice)
    response = client.post(
        "/action-items/bulk", {"ids": [mine, theirs], "status": "DONE"}, follow=True
    )
    body = response.content.decode()
    # Named by what it says, not by its id.
    assert "Action item “Dana&#x27;s own item”: " in body
    assert theirs not in body.split('class="messages"')[1].split("</div>")[0]
    assert "Nothing was changed." in body
    assert ActionItem.objects.get(pk=mine).status == "TODO"
    assert ActionItem.objects.get(pk=theirs).status == "TODO"


def test_bulk_without_ticked_items_changes_nothing(alice, published):
    response = signed_in(alice).post("/action-items/bulk", {"status": "DONE"}, follow=True)
    assert "Tick at least one action item" in response.content.decode()
    assert {i.status for i in items(published)} == {"TODO"}


def test_a_viewer_cannot_change_items_in_bulk(carol, published):
    ids = [items(published)[0].id]
    response = signed_in(carol).post(
        "/action-items/bulk", {"ids": ids, "status": "DONE"}, follow=True
    )
    assert "Nothing was changed." in response.content.decode()
    assert items(published)[0].status == "TODO"


def test_the_report_shows_completion_and_tracker_links(alice, published):
    first = items(published)[0]
    services.update_action_item(
        first.id,
        {"status": "DONE", "tracker_url": "https://github.com/acme/app/issues/7"},
        by=alice,
    )
    body = signed_in(alice).get(f"/postmortems/{published.id}").content.decode()
    assert "1 of 3 done" in body
    assert 'href="https://github.com/acme/app/issues/7"' in body


def test_follow_through_on_a_published_report_changes_owner_due_date_and_tracker(alice, published):
    item = items(published)[2]
    response = signed_in(alice).post(
        f"/action-items/{item.id}/follow-through",
        {
            "status": "IN_PROGRESS",
            "owner": "dana@example.com",
            "due_date": "2031-05-01",
            "tracker_url": "https://jira.example.com/browse/OPS-12",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.owner, item.due_date.isoformat(), item.tracker_url) == (
        "IN_PROGRESS",
        "dana@example.com",
        "2031-05-01",
        "https://jira.example.com/browse/OPS-12",
    )
    published.refresh_from_db()
    assert published.status == "PUBLISHED"


def test_a_tracker_link_must_be_a_web_address(alice, published):
    item = items(published)[0]
    response = signed_in(alice).post(
        f"/action-items/{item.id}/follow-through",
        {"status": "TODO", "tracker_url": "javascript:alert(1)"},
        follow=True,
    )
    assert "not saved" in response.content.decode()
    item.refresh_from_db()
    assert item.tracker_url is None


def test_a_refused_follow_through_comes_back_open_with_what_was_typed(alice, published):
    item = items(published)[0]
    response = signed_in(alice).post(
        f"/action-items/{item.id}/follow-through",
        {
            "status": "IN_PROGRESS",
            "was-status": "TODO",
            "due_date": "2031-05-01",
            "was-due_date": "",
            "tracker_url": "javascript:alert(1)",
            "was-tracker_url": "",
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    form = page[page.index(f'action="/action-items/{item.id}/follow-through"') :]
    form = form[: form.index("</form>")]
    assert 'role="alert"' in form and "not saved" in form
    assert 'value="2031-05-01"' in form and 'value="javascript:alert(1)"' in form
    assert '<option value="IN_PROGRESS" selected>' in form
    assert re.search(rf'id="ft-{item.id}"[^>]*aria-invalid="true"[^>]*autofocus', form)
    # What the form was first rendered with travels on, so a second try changes only these.
    assert 'name="was-status" value="TODO"' in form
    item.refresh_from_db()
    assert (item.status, item.due_date, item.tracker_url) == ("TODO", None, None)


def test_only_those_allowed_see_and_use_the_follow_through_form(carol, dana, alice, published):
    item = items(published)[0]
    for user in (carol, dana):
        body = signed_in(user).get(f"/postmortems/{published.id}").content.decode()
        assert "Save follow-through" not in body
        response = signed_in(user).post(
            f"/action-items/{item.id}/follow-through", {"status": "DONE", "owner": "x"}
        )
        assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.owner) == ("TODO", "engineering@example.com")
    assert (
        "Save follow-through"
        in signed_in(alice).get(f"/postmortems/{published.id}").content.decode()
    )


def test_the_owner_of_an_item_may_change_its_follow_through(alice, dana, published):
    item = items(published)[0]
    services.update_action_item(item.id, {"owner": "dana"}, by=alice)
    body = signed_in(dana).get(f"/postmortems/{published.id}").content.decode()
    assert body.count("Save follow-through") == 1
    signed_in(dana).post(
        f"/action-items/{item.id}/follow-through", {"status": "DONE", "owner": "dana"}
    )
    item.refresh_from_db()
    assert item.status == "DONE"


def test_overdue_drafts_and_items_are_flagged_on_the_home_page(alice, postmortem, incident):
    update_incident(incident.id, {"resolved_at": timezone.now() - timedelta(days=5)}, by=alice)
    item = items(PostMortem.objects.get(pk=postmortem["id"]))[0]
    services.update_action_item(
        item.id, {"owner": "alice", "due_date": timezone.localdate() - timedelta(days=1)}, by=alice
    )
    home = signed_in(alice).get("/").content.decode()
    assert home.count('class="flag-overdue"') >= 2
    report = signed_in(alice).get(f"/postmortems/{postmortem['id']}").content.decode()
    assert "This report was due at" in report


def test_new_forms_refuse_posts_without_a_csrf_token(alice, published):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    item = items(published)[0]
    for path, data in (
        ("/action-items/bulk", {"ids": [item.id], "status": "DONE"}),
        (f"/action-items/{item.id}/follow-through", {"status": "DONE"}),
    ):
        assert strict.post(path, data).status_code == 403, path
    item.refresh_from_db()
    assert item.status == "TODO"
    page = strict.get("/action-items").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = strict.post(
        "/action-items/bulk", {"ids": [item.id], "status": "DONE", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "DONE"
