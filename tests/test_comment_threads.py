"""Comment threads in review: replies (`parentId`) and resolving (`resolvedAt`/`resolvedBy`),
and who may resolve: the comment's author, the report's creator and contributors, admins."""

import pytest

from hindsight.reviews.models import Comment


@pytest.fixture
def dave(make_user):
    """A member with no part in the report."""
    return make_user("dave")


@pytest.fixture
def in_review(alice, api_for, postmortem):
    response = api_for(alice).patch(f"/api/postmortems/{postmortem['id']}", {"status": "IN_REVIEW"})
    assert response.status_code == 200, response.content
    return response.json()


def url(pm, tail=""):
    return f"/api/postmortems/{pm['id']}/comments{tail}"


@pytest.fixture
def question(dave, api_for, in_review):
    response = api_for(dave).post(
        url(in_review), {"body": "Why was the pool **so** small?", "section": "rootCause"}
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_a_new_comment_is_an_open_thread_of_its_own(question):
    assert question["parentId"] is None
    assert question["resolvedAt"] is None
    assert question["resolvedBy"] is None


def test_a_reply_answers_a_comment_and_takes_its_section(alice, api_for, in_review, question):
    response = api_for(alice).post(
        url(in_review), {"body": "It was the default.", "parentId": question["id"]}
    )
    assert response.status_code == 201, response.content
    reply = response.json()
    assert (reply["parentId"], reply["section"]) == (question["id"], "rootCause")
    stored = Comment.objects.get(pk=reply["id"])
    assert (stored.parent_id, stored.section) == (question["id"], "rootCause")
    listed = api_for(alice).get(url(in_review)).json()["items"]
    assert [(c["id"], c["parentId"]) for c in listed] == [
        (question["id"], None),
        (reply["id"], question["id"]),
    ]


def test_a_reply_to_a_reply_another_report_or_another_section_is_refused(
    alice, api_for, in_review, question, incident, seed_body
):
    api = api_for(alice)
    reply = api.post(url(in_review), {"body": "Default.", "parentId": question["id"]}).json()
    nested = api.post(url(in_review), {"body": "Deeper", "parentId": reply["id"]})
    assert nested.status_code == 422
    assert "parentId" in nested.json()["fields"]

    other = api.post("/api/postmortems", {**seed_body, "status": "IN_REVIEW"}).json()
    elsewhere = api.post(url(other), {"body": "Here?", "parentId": question["id"]})
    assert elsewhere.status_code == 422
    assert "parentId" in elsewhere.json()["fields"]

    wrong_section = api.post(
        url(in_review), {"body": "On impact", "parentId": question["id"], "section": "impact"}
    )
    assert wrong_section.status_code == 422
    assert "section" in wrong_section.json()["fields"]
    assert Comment.objects.count() == 2


@pytest.mark.parametrize("who", ["dave", "alice", "bob", "root"])
def test_the_author_the_reports_creator_and_contributors_and_admins_resolve(
    who, make_user, admin, bob, api_for, in_review, question
):
    from hindsight.accounts.models import User

    user = User.objects.get(username=who)
    response = api_for(user).patch(url(in_review, f"/{question['id']}"), {"resolved": True})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["resolvedBy"] == who
    assert body["resolvedAt"]
    stored = Comment.objects.get(pk=question["id"])
    assert stored.resolved_by.username == who
    assert stored.resolved_at is not None


def test_another_member_or_a_viewer_cannot_resolve(make_user, carol, api_for, in_review, question):
    erin = make_user("erin")
    for user in (erin, carol):
        response = api_for(user).patch(url(in_review, f"/{question['id']}"), {"resolved": True})
        assert response.status_code == 403, response.content
        assert "resolve" in response.json()["message"]
    assert Comment.objects.get(pk=question["id"]).resolved_at is None


def test_reopening_clears_the_resolution(alice, api_for, in_review, question):
    api = api_for(alice)
    api.patch(url(in_review, f"/{question['id']}"), {"resolved": True})
    response = api.patch(url(in_review, f"/{question['id']}"), {"resolved": False})
    assert response.status_code == 200
    assert (response.json()["resolvedAt"], response.json()["resolvedBy"]) == (None, None)
    stored = Comment.objects.get(pk=question["id"])
    assert (stored.resolved_at, stored.resolved_by) == (None, None)


def test_a_reply_is_resolved_with_its_thread_not_alone(alice, api_for, in_review, question):
    api = api_for(alice)
    reply = api.post(url(in_review), {"body": "Default.", "parentId": question["id"]}).json()
    response = api.patch(url(in_review, f"/{reply['id']}"), {"resolved": True})
    assert response.status_code == 422
    assert "resolved" in response.json()["fields"]
    assert Comment.objects.get(pk=reply["id"]).resolved_at is None


def test_threads_are_resolved_after_going_back_to_draft_but_not_once_archived(
    alice, api_for, in_review, question
):
    api = api_for(alice)
    api.patch(f"/api/postmortems/{in_review['id']}", {"status": "DRAFT"})
    response = api.patch(url(in_review, f"/{question['id']}"), {"resolved": True})
    assert response.status_code == 200

    from hindsight.postmortems.models import PostMortem

    PostMortem.objects.filter(pk=in_review["id"]).update(status="ARCHIVED")
    response = api.patch(url(in_review, f"/{question['id']}"), {"resolved": False})
    assert response.status_code == 409
    assert Comment.objects.get(pk=question["id"]).resolved_at is not None


def test_a_comment_of_another_report_or_an_unreadable_draft_is_not_found(
    alice, dave, api_for, in_review, question, seed_body
):
    other = api_for(alice).post("/api/postmortems", seed_body).json()
    response = api_for(alice).patch(url(other, f"/{question['id']}"), {"resolved": True})
    assert response.status_code == 404
    # dave wrote the comment, but a draft he cannot read does not exist for him.
    api_for(alice).patch(f"/api/postmortems/{in_review['id']}", {"status": "DRAFT"})
    response = api_for(dave).patch(url(in_review, f"/{question['id']}"), {"resolved": True})
    assert response.status_code == 404
    assert Comment.objects.get(pk=question["id"]).resolved_at is None


# On the report page -------------------------------------------------------------------


def _page(user, pm) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.get(f"/postmortems/{pm['id']}").content.decode()


def test_comments_are_sanitised_markdown_beside_their_section(alice, dave, api_for, in_review):
    api_for(dave).post(
        url(in_review),
        {
            "body": "Was it **load-tested**? <script>alert(1)</script> [x](javascript:alert(1))",
            "section": "rootCause",
        },
    )
    page = _page(alice, in_review)
    assert "<strong>load-tested</strong>" in page
    assert "<script>alert(1)</script>" not in page
    assert 'href="javascript' not in page
    root_cause = page.split('id="section-rootCause"')[1].split("</section>")[0]
    assert 'aria-label="Comments on Root cause"' in root_cause
    assert "load-tested" in root_cause


def test_the_page_offers_resolve_exactly_to_those_the_service_allows(
    alice, make_user, carol, dave, api_for, in_review, question
):
    erin = make_user("erin")
    resolve = f"/postmortems/{in_review['id']}/comments/{question['id']}/resolve"
    for user in (alice, dave):
        assert f'action="{resolve}"' in _page(user, in_review)
    for user in (erin, carol):
        assert f'action="{resolve}"' not in _page(user, in_review)


def test_resolving_and_replying_through_the_web_form(alice, api_for, in_review, question):
    from django.test import Client

    client = Client()
    client.force_login(alice)
    base = f"/postmortems/{in_review['id']}"
    response = client.post(
        f"{base}/comments",
        {"comment-body": "It was the *default*.", "comment-parent": question["id"]},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#comment-{question['id']}")
    reply = Comment.objects.get(parent_id=question["id"])
    assert (reply.author, reply.section) == (alice, "rootCause")

    response = client.post(f"{base}/comments/{question['id']}/resolve", {"resolved": "true"})
    assert response.status_code == 302
    stored = Comment.objects.get(pk=question["id"])
    assert stored.resolved_by == alice
    page = client.get(base).content.decode()
    assert "Resolved by alice" in page
    assert "<em>default</em>" in page


def test_a_refused_resolve_is_said_in_the_thread(make_user, api_for, in_review, question):
    from django.test import Client

    erin = make_user("erin")
    client = Client()
    client.force_login(erin)
    base = f"/postmortems/{in_review['id']}"
    response = client.post(
        f"{base}/comments/{question['id']}/resolve", {"resolved": "true"}, follow=True
    )
    page = response.content.decode()
    thread = page.split(f'id="comment-{question["id"]}"')[1]
    assert "can resolve a comment" in thread.split("</li>")[0]
    assert Comment.objects.get(pk=question["id"]).resolved_at is None


def test_each_part_offers_a_comment_on_it_with_the_part_chosen(alice, carol, in_review):
    from django.test import Client

    page = _page(alice, in_review)
    assert '<a href="?section=rootCause#comment-form">Comment on root cause</a>' in page
    assert "Comment on root cause" not in _page(carol, in_review)
    client = Client()
    client.force_login(alice)
    chosen = client.get(f"/postmortems/{in_review['id']}?section=rootCause").content.decode()
    assert '<option value="rootCause" selected>' in chosen


def test_ids_out_of_any_range_are_simply_not_found(alice, api_for, in_review, question):
    api = api_for(alice)
    huge = 2**70
    assert api.patch(url(in_review, f"/{huge}"), {"resolved": True}).status_code == 404
    assert api.patch(url(in_review, "/-1"), {"resolved": True}).status_code == 404
    reply = api.post(url(in_review), {"body": "?", "parentId": huge})
    assert reply.status_code == 422
    assert "parentId" in reply.json()["fields"]


def test_a_refused_reply_to_a_comment_not_on_the_page_is_said_in_the_review_block(alice, in_review):
    from django.test import Client

    client = Client()
    client.force_login(alice)
    response = client.post(
        f"/postmortems/{in_review['id']}/comments",
        {"comment-body": "Hello?", "comment-parent": "999"},
        follow=True,
    )
    review = response.content.decode().split('id="review"')[1]
    assert "has no comment 999 to reply to" in review.split("</h2>")[1].split("<h3")[0]
