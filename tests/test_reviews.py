"""Review while IN_REVIEW: comments, requested reviewers, approvals before publishing."""

import pytest
from django.test import override_settings

from hindsight.postmortems.models import PostMortem
from hindsight.reviews.models import Comment, Review, ReviewRequest


@pytest.fixture
def dana(make_user):
    """A team member who did not write the seed post-mortem."""
    return make_user("dana")


@pytest.fixture
def erin(make_user):
    return make_user("erin")


@pytest.fixture
def events(monkeypatch):
    from hindsight.postmortems import services as pm_services
    from hindsight.reviews import services as review_services

    seen = []

    def record(event, **data):
        seen.append((event, data))

    monkeypatch.setattr(pm_services, "notify_all", seen.extend)
    monkeypatch.setattr(review_services, "notify", record)
    return seen


@pytest.fixture
def in_review(alice, api_for, postmortem):
    response = api_for(alice).patch(f"/api/postmortems/{postmortem['id']}", {"status": "IN_REVIEW"})
    assert response.status_code == 200, response.content
    return response.json()


def url(pm, tail=""):
    return f"/api/postmortems/{pm['id']}{tail}"


# Comments -----------------------------------------------------------------------------


def test_team_members_comment_on_a_section_and_comments_keep_author_and_time(
    dana, alice, api_for, in_review
):
    response = api_for(dana).post(
        url(in_review, "/comments"), {"body": "Why was the pool so small?", "section": "rootCause"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["author"] == "dana"
    assert body["section"] == "rootCause"
    assert body["version"] == in_review["version"]
    assert body["createdAt"]
    stored = Comment.objects.get(pk=body["id"])
    assert (stored.author.username, stored.body) == ("dana", "Why was the pool so small?")

    api_for(alice).post(url(in_review, "/comments"), {"body": "It was the default."})
    listed = api_for(alice).get(url(in_review, "/comments")).json()
    assert listed["total"] == 2
    assert [(c["author"], c["section"]) for c in listed["items"]] == [
        ("dana", "rootCause"),
        ("alice", None),
    ]


def test_viewers_read_comments_but_cannot_write_them(carol, dana, api_for, in_review):
    api_for(dana).post(url(in_review, "/comments"), {"body": "Looks good"})
    api = api_for(carol)
    assert api.get(url(in_review, "/comments")).json()["total"] == 1
    response = api.post(url(in_review, "/comments"), {"body": "me too"})
    assert response.status_code == 403
    assert "Viewers" in response.json()["message"]
    assert Comment.objects.count() == 1


def test_comments_are_taken_only_while_in_review(alice, api_for, postmortem):
    response = api_for(alice).post(url(postmortem, "/comments"), {"body": "early"})
    assert response.status_code == 409
    assert "in review" in response.json()["message"]
    assert not Comment.objects.exists()


def test_a_draft_stays_hidden_from_other_members(dana, api_for, postmortem):
    assert api_for(dana).get(url(postmortem, "/comments")).status_code == 404
    assert api_for(dana).post(url(postmortem, "/comments"), {"body": "hi"}).status_code == 404


def test_a_comment_names_a_real_section(dana, api_for, in_review):
    response = api_for(dana).post(url(in_review, "/comments"), {"body": "x", "section": "nope"})
    assert response.status_code == 422
    assert "section" in response.json()["fields"]
    blank = api_for(dana).post(url(in_review, "/comments"), {"body": "   "})
    assert blank.status_code == 422
    assert not Comment.objects.exists()


def test_comments_need_authentication(client, in_review):
    assert client.get(url(in_review, "/comments")).status_code == 401


# Requested reviewers ------------------------------------------------------------------


def test_authors_ask_reviewers_by_name_or_email_once(alice, dana, erin, api_for, in_review):
    api = api_for(alice)
    response = api.post(url(in_review, "/reviewers"), {"reviewers": ["dana", "ERIN@example.com"]})
    assert response.status_code == 200, response.content
    assert [r["reviewer"] for r in response.json()["reviewers"]] == ["dana", "erin"]
    again = api.post(url(in_review, "/reviewers"), {"reviewers": ["dana"]})
    assert again.status_code == 200
    assert ReviewRequest.objects.filter(postmortem_id=in_review["id"]).count() == 2
    assert ReviewRequest.objects.get(reviewer=dana).requested_by == alice


def test_it_refuses_unknown_viewer_and_author_reviewers(alice, carol, bob, api_for, in_review):
    response = api_for(alice).post(
        url(in_review, "/reviewers"), {"reviewers": ["nobody", "carol", "bob"]}
    )
    assert response.status_code == 422
    fields = response.json()["fields"]
    assert fields == {
        "reviewers[0]": "there is no user nobody",
        "reviewers[1]": "carol is a viewer and cannot review",
        "reviewers[2]": "bob is an author of this post-mortem and cannot review it",
    }
    assert not ReviewRequest.objects.exists()


def test_only_authors_and_admins_ask_for_reviewers(dana, erin, admin, api_for, in_review):
    assert (
        api_for(dana).post(url(in_review, "/reviewers"), {"reviewers": ["erin"]}).status_code == 403
    )
    assert (
        api_for(admin).post(url(in_review, "/reviewers"), {"reviewers": ["erin"]}).status_code
        == 200
    )
    assert list(ReviewRequest.objects.values_list("reviewer__username", flat=True)) == ["erin"]


# Decisions ----------------------------------------------------------------------------


def test_a_reviewer_approves_the_version_they_saw(dana, alice, api_for, in_review, events):
    response = api_for(dana).post(url(in_review, "/reviews"), {"decision": "APPROVED"})
    assert response.status_code == 201, response.content
    review = Review.objects.get(pk=response.json()["id"])
    assert (review.reviewer, review.decision, review.version) == (
        dana,
        "APPROVED",
        in_review["version"],
    )
    assert ("review.approved", "dana") in [(e, d["by"]) for e, d in events]
    state = api_for(alice).get(url(in_review, "/reviews")).json()
    assert state["approvals"] == ["dana"]
    assert state["reviews"][0]["reviewer"] == "dana"


def test_an_author_cannot_approve_their_own_postmortem(alice, bob, api_for, in_review):
    for author in (alice, bob):  # creator and contributor
        response = api_for(author).post(url(in_review, "/reviews"), {"decision": "APPROVED"})
        assert response.status_code == 403
        assert "cannot approve a post-mortem you wrote" in response.json()["message"]
    assert not Review.objects.exists()


def test_requesting_changes_is_recorded_and_announced(dana, api_for, in_review, events):
    response = api_for(dana).post(
        url(in_review, "/reviews"),
        {"decision": "CHANGES_REQUESTED", "comment": "Add the detection gap."},
    )
    assert response.status_code == 201
    assert Review.objects.get().comment == "Add the detection gap."
    assert [e for e, _ in events] == ["review.changes_requested"]


def test_viewers_cannot_review_and_nobody_reviews_a_draft(carol, dana, api_for, postmortem):
    alice_draft = postmortem
    # A draft the viewer cannot read does not exist for them; a published one refuses them.
    review = {"decision": "APPROVED"}
    assert api_for(carol).post(url(alice_draft, "/reviews"), review).status_code == 404
    PostMortem.objects.filter(pk=postmortem["id"]).update(status="PUBLISHED")
    assert api_for(carol).post(url(alice_draft, "/reviews"), review).status_code == 403
    response = api_for(dana).post(url(alice_draft, "/reviews"), {"decision": "APPROVED"})
    assert response.status_code == 409
    assert not Review.objects.exists()


# Publishing with required approvals ---------------------------------------------------


def test_without_required_approvals_publishing_needs_none(alice, api_for, in_review, events):
    response = api_for(alice).patch(url(in_review), {"status": "PUBLISHED"})
    assert response.status_code == 200
    assert [e for e, _ in events] == ["postmortem.published"]


@override_settings(REQUIRED_APPROVALS=2)
def test_publishing_waits_for_the_required_approvals(alice, dana, erin, api_for, in_review):
    api = api_for(alice)
    refused = api.patch(url(in_review), {"status": "PUBLISHED"})
    assert refused.status_code == 409
    assert (
        "waits for 2 approvals in this review round; it has none yet" in refused.json()["message"]
    )

    api_for(dana).post(url(in_review, "/reviews"), {"decision": "APPROVED"})
    refused = api.patch(url(in_review), {"status": "PUBLISHED"})
    assert refused.status_code == 409
    assert (
        "waits for 2 approvals in this review round; it has 1 (dana)" in refused.json()["message"]
    )
    assert refused.json()["approvals"] == ["dana"]
    assert PostMortem.objects.get(pk=in_review["id"]).status == "IN_REVIEW"

    api_for(erin).post(url(in_review, "/reviews"), {"decision": "APPROVED"})
    assert api.get(url(in_review, "/reviews")).json()["requiredApprovals"] == 2
    assert api.patch(url(in_review), {"status": "PUBLISHED"}).status_code == 200
    assert PostMortem.objects.get(pk=in_review["id"]).status == "PUBLISHED"


@override_settings(REQUIRED_APPROVALS=1)
def test_a_later_request_for_changes_withdraws_an_approval(alice, dana, api_for, in_review):
    reviewer = api_for(dana)
    reviewer.post(url(in_review, "/reviews"), {"decision": "APPROVED"})
    reviewer.post(url(in_review, "/reviews"), {"decision": "CHANGES_REQUESTED"})
    refused = api_for(alice).patch(url(in_review), {"status": "PUBLISHED"})
    assert refused.status_code == 409
    assert "waits for 1 approval in this review round; it has none yet" in refused.json()["message"]


@override_settings(REQUIRED_APPROVALS=1)
def test_approvals_count_only_in_the_current_review_round(alice, dana, api_for, in_review, events):
    api = api_for(alice)
    api_for(dana).post(url(in_review, "/reviews"), {"decision": "APPROVED"})
    assert api.patch(url(in_review), {"status": "DRAFT"}).status_code == 200
    assert api.patch(url(in_review), {"status": "IN_REVIEW"}).status_code == 200
    refused = api.patch(url(in_review), {"status": "PUBLISHED"})
    assert refused.status_code == 409
    assert "PUBLISHED" not in refused.json()["allowed"]
    api_for(dana).post(url(in_review, "/reviews"), {"decision": "APPROVED"})
    assert api.patch(url(in_review), {"status": "PUBLISHED"}).status_code == 200
    assert [e for e, _ in events].count("postmortem.submitted") == 1
