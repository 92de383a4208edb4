"""Review on the report page while IN_REVIEW: comments, reviewers, approvals, and a
publish refused until enough people approved."""

import re

import pytest
from django.test import Client, override_settings

from hindsight.postmortems import services
from hindsight.postmortems.models import PostMortem
from hindsight.reviews.models import Comment, Review, ReviewRequest


@pytest.fixture
def dana(make_user):
    return make_user("dana")


@pytest.fixture
def in_review(alice, postmortem):
    services.update_postmortem(postmortem["id"], {"status": "IN_REVIEW"}, by=alice)
    return PostMortem.objects.get(pk=postmortem["id"])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_team_member_comments_on_a_section_and_sees_author_and_time(dana, in_review):
    client = signed_in(dana)
    response = client.post(
        f"/postmortems/{in_review.id}/comments",
        {
            "comment-body": "Was the <b>pool</b> size ever load-tested?",
            "comment-section": "rootCause",
        },
    )
    assert response.status_code == 302
    comment = Comment.objects.get(postmortem=in_review)
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    assert (comment.author, comment.section, comment.version) == (
        dana,
        "rootCause",
        in_review.version,
    )
    body = client.get(f"/postmortems/{in_review.id}").content.decode()
    assert "Was the &lt;b&gt;pool&lt;/b&gt; size ever load-tested?" in body
    assert 'aria-label="Comments on Root cause"' in body
    assert "<strong>dana</strong>" in body
    assert " UTC" in body


def test_a_viewer_can_read_comments_but_not_comment_or_approve(carol, dana, in_review):
    signed_in(dana).post(f"/postmortems/{in_review.id}/comments", {"comment-body": "Looks right"})
    client = signed_in(carol)
    body = client.get(f"/postmortems/{in_review.id}").content.decode()
    assert "Looks right" in body
    assert "Add comment" not in body
    assert ">Approve<" not in body
    assert "Viewers can read post-mortems but not review them." in body
    client.post(f"/postmortems/{in_review.id}/comments", {"comment-body": "Sneaky"})
    response = client.post(
        f"/postmortems/{in_review.id}/reviews", {"decision": "APPROVED"}, follow=True
    )
    assert "Viewers can read post-mortems but not review them." in response.content.decode()
    assert Comment.objects.filter(postmortem=in_review).count() == 1
    assert not Review.objects.filter(postmortem=in_review).exists()


def test_an_author_sees_why_they_cannot_approve(alice, in_review):
    body = signed_in(alice).get(f"/postmortems/{in_review.id}").content.decode()
    assert "You cannot approve a post-mortem you wrote or contributed to" in body
    assert ">Approve<" not in body
    assert "Request changes" in body
    response = signed_in(alice).post(
        f"/postmortems/{in_review.id}/reviews", {"decision": "APPROVED"}, follow=True
    )
    assert "You cannot approve a post-mortem you wrote" in response.content.decode()
    assert not Review.objects.exists()


def test_authors_request_reviewers_and_unknown_names_are_refused(alice, dana, in_review):
    client = signed_in(alice)
    response = client.post(
        f"/postmortems/{in_review.id}/reviewers", {"reviewers": "nobody, dana"}, follow=True
    )
    assert "There is no user nobody" in response.content.decode()
    assert not ReviewRequest.objects.exists()
    client.post(f"/postmortems/{in_review.id}/reviewers", {"reviewers": "dana@example.com"})
    assert list(ReviewRequest.objects.values_list("reviewer__username", flat=True)) == ["dana"]
    body = client.get(f"/postmortems/{in_review.id}").content.decode()
    assert '<strong>dana</strong> <span class="muted small">asked by alice' in body


def test_others_cannot_request_reviewers(dana, in_review):
    body = signed_in(dana).get(f"/postmortems/{in_review.id}").content.decode()
    assert "Request review" not in body
    response = signed_in(dana).post(
        f"/postmortems/{in_review.id}/reviewers", {"reviewers": "dana"}, follow=True
    )
    assert "Only its author, its contributors and admins can change" in response.content.decode()
    assert not ReviewRequest.objects.exists()


@override_settings(REQUIRED_APPROVALS=1)
def test_publishing_waits_for_the_required_approvals(alice, dana, in_review):
    author = signed_in(alice)
    body = author.get(f"/postmortems/{in_review.id}").content.decode()
    assert "0 of 1 required approval" in body
    response = author.post(f"/postmortems/{in_review.id}/status", {"to": "PUBLISHED"}, follow=True)
    assert (
        "Publishing waits for 1 approval in this review round; it has none yet."
        in response.content.decode()
    )
    in_review.refresh_from_db()
    assert in_review.status == "IN_REVIEW"

    signed_in(dana).post(
        f"/postmortems/{in_review.id}/reviews", {"decision": "APPROVED", "comment": "Thorough."}
    )
    review = Review.objects.get(postmortem=in_review)
    assert (review.reviewer, review.decision, review.comment) == (dana, "APPROVED", "Thorough.")
    body = author.get(f"/postmortems/{in_review.id}").content.decode()
    assert "1 of 1 required approval" in body
    assert "approved by dana" in body
    author.post(f"/postmortems/{in_review.id}/status", {"to": "PUBLISHED"})
    in_review.refresh_from_db()
    assert in_review.status == "PUBLISHED"


def test_requesting_changes_is_recorded_and_shown(dana, in_review):
    client = signed_in(dana)
    client.post(
        f"/postmortems/{in_review.id}/reviews",
        {"decision": "CHANGES_REQUESTED", "comment": "Add the timeline."},
    )
    assert Review.objects.get().decision == "CHANGES_REQUESTED"
    body = client.get(f"/postmortems/{in_review.id}").content.decode()
    assert "requested changes" in body
    assert "Add the timeline." in body


def test_nobody_comments_on_a_draft(alice, dana, postmortem):
    body = signed_in(alice).get(f"/postmortems/{postmortem['id']}").content.decode()
    assert "Add comment" not in body
    response = signed_in(alice).post(
        f"/postmortems/{postmortem['id']}/comments", {"comment-body": "early"}, follow=True
    )
    assert (
        "Only a post-mortem in review can be commented on; this one is a draft."
        in response.content.decode()
    )
    assert not Comment.objects.exists()


def test_review_forms_refuse_posts_without_a_csrf_token(alice, dana, in_review):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(dana)
    for path, data in (
        (f"/postmortems/{in_review.id}/comments", {"comment-body": "x"}),
        (f"/postmortems/{in_review.id}/reviews", {"decision": "APPROVED"}),
        (f"/postmortems/{in_review.id}/reviewers", {"reviewers": "dana"}),
    ):
        assert strict.post(path, data).status_code == 403, path
    assert not Comment.objects.exists()
    assert not Review.objects.exists()
    page = strict.get(f"/postmortems/{in_review.id}").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    strict.post(
        f"/postmortems/{in_review.id}/comments",
        {"comment-body": "with a token", "csrfmiddlewaretoken": token},
    )
    assert Comment.objects.get().body == "with a token"
