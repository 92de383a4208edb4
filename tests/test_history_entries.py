"""A report's history lists its review decisions and comments beside its versions, each
entry with a `type`; the revisions keep their shape."""

import pytest

from hindsight.postmortems import services
from hindsight.reviews import services as reviews


@pytest.fixture
def dave(make_user):
    """A member with no part in the report."""
    return make_user("dave")


@pytest.fixture
def reviewed(alice, dave, postmortem):
    pm_id = postmortem["id"]
    services.update_postmortem(pm_id, {"status": "IN_REVIEW"}, by=alice)
    question = reviews.add_comment(pm_id, body="Why **so** small?", section="rootCause", by=dave)
    reviews.add_comment(pm_id, body="The default.", section=None, parent_id=question.pk, by=alice)
    reviews.submit_review(pm_id, decision="CHANGES_REQUESTED", comment="Add a why.", by=dave)
    services.update_postmortem(pm_id, {"title": "Pool exhaustion"}, by=alice)
    return pm_id, question


def test_the_history_lists_revisions_reviews_and_comments_in_order(alice, api_for, reviewed):
    pm_id, question = reviewed
    body = api_for(alice).get(f"/api/postmortems/{pm_id}/history").json()
    rows = body["items"]
    assert body["total"] == len(rows) == 6
    assert [(r["type"], r["version"], r["changedBy"]) for r in rows] == [
        ("revision", 1, "alice"),
        ("revision", 2, "alice"),
        ("comment", 2, "dave"),
        ("comment", 2, "alice"),
        ("review", 2, "dave"),
        ("revision", 3, "alice"),
    ]
    comment, reply, review = rows[2], rows[3], rows[4]
    assert (comment["body"], comment["section"], comment["commentId"], comment["parentId"]) == (
        "Why **so** small?",
        "rootCause",
        question.pk,
        None,
    )
    assert (reply["parentId"], reply["section"]) == (question.pk, "rootCause")
    assert (review["decision"], review["body"]) == ("CHANGES_REQUESTED", "Add a why.")
    # A revision keeps what it always said, and has the new keys empty.
    assert rows[5]["changes"]["title"]["new"] == "Pool exhaustion"
    assert (rows[5]["decision"], rows[5]["body"], rows[5]["commentId"]) == (None, None, None)
    assert all(r["changes"] == {} for r in rows[2:5])
    assert all(r["changedAt"] for r in rows)


def test_the_history_can_be_asked_for_one_type(alice, api_for, reviewed):
    pm_id, _ = reviewed
    api = api_for(alice)
    only = api.get(f"/api/postmortems/{pm_id}/history", params={"type": "revision"}).json()
    assert [r["version"] for r in only["items"]] == [1, 2, 3]
    assert {r["type"] for r in only["items"]} == {"revision"}
    both = api.get(f"/api/postmortems/{pm_id}/history", params={"type": "review,comment"}).json()
    assert [r["type"] for r in both["items"]] == ["comment", "comment", "review"]
    wrong = api.get(f"/api/postmortems/{pm_id}/history", params={"type": "vote"})
    assert wrong.status_code == 422
    assert "type" in wrong.json()["fields"]


def test_the_history_with_its_comments_is_as_private_as_the_report(alice, dave, api_for, reviewed):
    pm_id, _ = reviewed
    services.update_postmortem(pm_id, {"status": "DRAFT"}, by=alice)
    assert api_for(dave).get(f"/api/postmortems/{pm_id}/history").status_code == 404


def test_the_history_page_shows_reviews_and_comments_beside_the_versions(alice, reviewed):
    from django.test import Client

    pm_id, question = reviewed
    client = Client()
    client.force_login(alice)
    page = client.get(f"/postmortems/{pm_id}/history").content.decode()
    activity = page.split('class="activity"')[1].split("</ol>")[0]
    kinds = [part.split('"')[0] for part in activity.split('<li class="activity-')[1:]]
    assert kinds == ["revision", "review", "comment", "comment", "revision", "revision"]
    assert "requested changes</span> on version 2" in activity
    assert "Add a why." in activity
    assert "commented on Root cause (version 2)" in activity
    assert "Why <strong>so</strong> small?" in activity
    assert (
        f'replied to <a href="/postmortems/{pm_id}#comment-{question.pk}">a comment</a> on Root cause'
        in activity
    )
    assert "changed Status to In review" in activity
    # Read-only: no form or button among the entries.
    assert "<form" not in activity and "<button" not in activity
