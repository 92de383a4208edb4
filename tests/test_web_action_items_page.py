"""The Action Items page: open items by default with a toggle for done ones, an owner filter
that finds a user by name or email alike, a post-mortem picker, and a status control on
every row the person may change (and only there)."""

import re

import pytest
from django.test import Client

from hindsight.postmortems import services
from hindsight.postmortems.models import ActionItem, PostMortem, Status


@pytest.fixture
def dana(make_user):
    return make_user("dana", email="dana@example.com")


@pytest.fixture
def dave(make_user):
    return make_user("dave")


@pytest.fixture
def report(alice, incident, db):
    return services.create_postmortem(
        {
            "incident_id": incident.id,
            "title": "Pool exhaustion",
            "action_items": [
                {"description": "Open by name", "owner": "dana"},
                {"description": "Open by email", "owner": "Dana@Example.com"},
                {"description": "Finished one", "owner": "dana", "status": "DONE"},
                {"description": "Someone else's", "owner": "ops@example.com"},
            ],
            "contributors": [],
        },
        by=alice,
    )


def page(user, query: str = "") -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/action-items" + query)
    assert response.status_code == 200
    return response.content.decode()


def test_open_items_are_shown_by_default_and_done_ones_on_request(alice, report):
    default = page(alice)
    assert "Open by name" in default and "Finished one" not in default
    assert "3 open action items" in default
    assert 'href="?includeDone=true"' in default
    assert 'href="/api/action-items.csv?status=TODO%2CIN_PROGRESS"' in default

    everything = page(alice, "?includeDone=true")
    assert "Finished one" in everything and "Open by name" in everything
    assert "Show open items only" in everything
    assert 'href="/api/action-items.csv"' in everything

    done = page(alice, "?status=DONE")
    assert "Finished one" in done and "Open by name" not in done


@pytest.mark.parametrize("owner", ["dana", "DANA@example.com"])
def test_the_owner_filter_finds_a_user_by_name_or_email_alike(alice, dana, report, owner):
    body = page(alice, f"?owner={owner}&includeDone=true")
    assert "Open by name" in body and "Open by email" in body and "Finished one" in body
    assert "Someone else&#x27;s" not in body


def test_the_api_owner_filter_follows_the_same_rule(alice, dana, report, api_for):
    rows = api_for(alice).get("/api/action-items", params={"owner": "dana"}).json()["items"]
    assert sorted(r["description"] for r in rows) == [
        "Finished one",
        "Open by email",
        "Open by name",
    ]
    rows = api_for(alice).get("/api/action-items", params={"owner": "OPS@example.com"}).json()
    assert [r["description"] for r in rows["items"]] == ["Someone else's"]


def test_the_owner_field_suggests_users_by_name_and_email(alice, dana, report):
    body = page(alice)
    assert 'list="owner-options"' in body
    assert '<option value="dana">dana · dana@example.com</option>' in body


def test_the_postmortem_picker_offers_what_i_may_see_and_filters_by_it(
    alice, dave, incident, report
):
    secret = services.create_postmortem(
        {"incident_id": incident.id, "title": "Dave's secret draft"}, by=dave
    )
    body = page(alice)
    picker = re.search(r'<select name="postmortemId".*?</select>', body, re.S).group(0)
    assert f'value="{report.id}"' in picker and "Pool exhaustion (draft)" in picker
    assert secret.id not in picker and "secret" not in picker

    chosen = page(alice, f"?postmortemId={report.id}")
    assert f'<option value="{report.id}" selected>' in chosen
    assert "Open by name" in chosen
    refused = page(alice, f"?postmortemId={secret.id}")
    assert "were not understood" in refused and "secret" not in refused


def status_forms(body: str) -> list[str]:
    return re.findall(r'action="/action-items/(act_[^/"]+)/status"', body)


def test_every_row_i_may_change_has_its_status_control(alice, carol, dana, report):
    ids = {i.description: i.id for i in ActionItem.objects.filter(postmortem=report)}
    # alice created the report: every open row.
    assert set(status_forms(page(alice))) == {
        ids["Open by name"],
        ids["Open by email"],
        ids["Someone else's"],
    }
    # dana (a member, no part in the report, and it is a draft): nothing to see.
    assert status_forms(page(dana)) == []
    # Published, the viewer carol sees it all but may change none.
    services.update_postmortem(report.id, {"status": "IN_REVIEW"}, by=alice)
    services.update_postmortem(report.id, {"status": "PUBLISHED"}, by=alice)
    viewer = page(carol)
    assert "Open by name" in viewer and status_forms(viewer) == []
    # dana owns two of them, by name and by email: those two rows.
    assert set(status_forms(page(dana))) == {ids["Open by name"], ids["Open by email"]}


def test_a_row_status_change_without_javascript_returns_to_the_page(alice, report):
    item = ActionItem.objects.get(postmortem=report, description="Open by name")
    client = Client()
    client.force_login(alice)
    response = client.post(
        f"/action-items/{item.id}/status",
        {"status": "IN_PROGRESS", "next": "/action-items?owner=dana"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/action-items?owner=dana"
    item.refresh_from_db()
    assert item.status == "IN_PROGRESS"


def test_the_batch_permission_agrees_with_may_follow_through(
    alice, bob, carol, dana, dave, admin, report
):
    rows = list(ActionItem.objects.filter(postmortem=report).select_related("postmortem"))
    for status in ["DRAFT", "IN_REVIEW", "PUBLISHED", "ARCHIVED"]:
        PostMortem.objects.filter(pk=report.id).update(status=status)
        for item in rows:
            item.postmortem.status = status
        for user in (alice, bob, carol, dana, dave, admin):
            expected = {
                i.id for i in rows if services.may_follow_through(i.postmortem, i.owner, user)
            }
            assert services.items_followable_by(user, rows) == expected, (status, user)
    assert Status.ARCHIVED  # every status was tried


def test_the_page_costs_the_same_queries_whatever_the_number_of_rows(
    alice, incident, report, django_assert_max_num_queries
):
    client = Client()
    client.force_login(alice)
    client.get("/action-items")
    with django_assert_max_num_queries(10) as few:
        client.get("/action-items")
    baseline = len(few.captured_queries)
    assert baseline > 0
    services.create_postmortem(
        {
            "incident_id": incident.id,
            "title": "Many items",
            "action_items": [{"description": f"Item {n}", "owner": "alice"} for n in range(15)],
        },
        by=alice,
    )
    with django_assert_max_num_queries(baseline):
        body = client.get("/action-items").content.decode()
    assert len(status_forms(body)) == 18
