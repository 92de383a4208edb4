"""The home page's review cards: "Awaiting my review" lists what waits for my decision,
"Ready to publish" the author's reports that have what publishing needs."""

import pytest
from django.test import Client

from hindsight.postmortems import services
from hindsight.reviews import services as reviews


def home(user) -> str:
    client = Client()
    client.force_login(user)
    return client.get("/").content.decode()


def card(body: str, heading: str) -> str:
    start = body.index(f">{heading}</h2>")
    return body[start : body.index("</section>", start)]


@pytest.fixture
def in_review(alice, postmortem):
    services.update_postmortem(postmortem["id"], {"status": "IN_REVIEW"}, by=alice)
    return postmortem["id"]


@pytest.fixture
def dave(make_user):
    return make_user("dave")


@pytest.fixture
def dana(make_user):
    return make_user("dana")


def test_a_requested_reviewer_sees_the_report_until_deciding(alice, dana, dave, in_review):
    reviews.request_reviewers(in_review, ["dana"], by=alice)
    assert "Database Connection Pool Exhaustion" in card(home(dana), "Awaiting my review")
    # Not asked, not the author: nothing waits for dave; the author's box is not her own.
    assert "Database Connection Pool Exhaustion" not in card(home(dave), "Awaiting my review")
    assert "Database Connection Pool Exhaustion" not in card(home(alice), "Awaiting my review")
    reviews.submit_review(in_review, decision="APPROVED", comment="", by=dana)
    assert "Database Connection Pool Exhaustion" not in card(home(dana), "Awaiting my review")


def test_a_new_round_asks_the_reviewer_again(alice, dana, in_review):
    reviews.request_reviewers(in_review, ["dana"], by=alice)
    reviews.submit_review(in_review, decision="CHANGES_REQUESTED", comment="", by=dana)
    services.update_postmortem(in_review, {"status": "DRAFT"}, by=alice)
    services.update_postmortem(in_review, {"status": "IN_REVIEW"}, by=alice)
    assert "Database Connection Pool Exhaustion" in card(home(dana), "Awaiting my review")


def test_the_author_sees_ready_to_publish_once_approvals_are_met(
    alice, dana, dave, in_review, settings
):
    settings.REQUIRED_APPROVALS = 1
    assert "Ready to publish" not in home(alice)
    reviews.request_reviewers(in_review, ["dana", "dave"], by=alice)
    reviews.submit_review(in_review, decision="APPROVED", comment="", by=dana)
    assert "Database Connection Pool Exhaustion" in card(home(alice), "Ready to publish")
    assert "Ready to publish" not in home(dana)
    # An open request for changes holds it back, whatever the count.
    reviews.submit_review(in_review, decision="CHANGES_REQUESTED", comment="", by=dave)
    assert "Ready to publish" not in home(alice)
