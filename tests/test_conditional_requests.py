"""If-Match and If-None-Match as RFC 9110 §13.1 defines them: a well-formed tag that does not
name the current version is a 412 whatever it holds, `*` matches any report the caller may
read, a list matches if any tag does, a weak tag never matches a write; GET answers 304 to a
list or `*`. A malformed header is a 400."""

import pytest

from hindsight.incidents.models import Incident
from hindsight.postmortems.models import PostMortem, Revision


def url(pm_id: str) -> str:
    return f"/api/postmortems/{pm_id}"


@pytest.fixture
def api(alice, api_for):
    return api_for(alice)


def stored(pm_id: str) -> PostMortem:
    return PostMortem.objects.get(pk=pm_id)


@pytest.mark.parametrize("value", ['"stale-0"', '"abc"', '""', '"1.0"', '"01"', '"1,2"'])
def test_a_well_formed_tag_that_is_not_the_version_is_a_412(api, postmortem, value):
    response = api.patch(url(postmortem["id"]), {"summary": "x"}, headers={"If-Match": value})

    assert response.status_code == 412, response.content
    body = response.json()
    assert body["error"] == "stale_version"
    assert body["currentVersion"] == 1
    assert "If-Match" in body["fields"]
    assert stored(postmortem["id"]).summary == postmortem["summary"]
    assert Revision.objects.filter(postmortem_id=postmortem["id"]).count() == 1


def test_a_weak_tag_never_matches_even_the_current_version(api, postmortem):
    response = api.patch(url(postmortem["id"]), {"summary": "x"}, headers={"If-Match": 'W/"1"'})
    assert response.status_code == 412
    assert stored(postmortem["id"]).version == 1


@pytest.mark.parametrize("value", ['"7", "1"', '"1","7"', 'W/"1", "1"', '"x,y" , "1"', ', "1",'])
def test_a_list_matches_if_any_strong_tag_does(api, postmortem, value):
    response = api.patch(url(postmortem["id"]), {"summary": "x"}, headers={"If-Match": value})
    assert response.status_code == 200, response.content
    assert stored(postmortem["id"]).summary == "x"


def test_a_list_naming_no_current_version_is_a_412(api, postmortem):
    response = api.patch(
        url(postmortem["id"]), {"summary": "x"}, headers={"If-Match": '"2", W/"1", "3"'}
    )
    assert response.status_code == 412
    assert stored(postmortem["id"]).summary == postmortem["summary"]


def test_a_wildcard_matches_any_report_the_caller_may_read(alice, bob, api_for, postmortem):
    # bob is a contributor of the seed draft: he may read and change it.
    response = api_for(bob).patch(
        url(postmortem["id"]), {"summary": "bob's"}, headers={"If-Match": "*"}
    )
    assert response.status_code == 200
    assert stored(postmortem["id"]).summary == "bob's"


def test_a_wildcard_on_a_draft_the_caller_cannot_see_stays_404(make_user, api_for, postmortem):
    dave = api_for(make_user("dave"))
    for call in (
        lambda: dave.patch(url(postmortem["id"]), {"summary": "x"}, headers={"If-Match": "*"}),
        lambda: dave.delete(url(postmortem["id"]), headers={"If-Match": "*"}),
    ):
        assert call().status_code == 404
    assert stored(postmortem["id"]).summary == postmortem["summary"]


def test_a_wildcard_on_a_missing_report_is_404(api, incident):
    response = api.patch(url("pm_missing"), {"summary": "x"}, headers={"If-Match": "*"})
    assert response.status_code == 404


def test_delete_and_items_and_incidents_follow_the_same_rules(api, postmortem, incident):
    item_id = postmortem["actionItems"][0]["id"]
    item = api.patch(
        f"/api/action-items/{item_id}", {"status": "DONE"}, headers={"If-Match": '"stale-0"'}
    )
    assert item.status_code == 412
    listed = api.patch(
        f"/api/action-items/{item_id}", {"status": "DONE"}, headers={"If-Match": '"9", "1"'}
    )
    assert listed.status_code == 200
    weak = api.patch(
        f"/api/incidents/{incident.id}", {"severity": "SEV1"}, headers={"If-Match": 'W/"1"'}
    )
    assert weak.status_code == 412
    assert Incident.objects.get(pk=incident.id).severity == "SEV2"
    assert api.delete(url(postmortem["id"]), headers={"If-Match": '"a"'}).status_code == 412
    assert api.delete(url(postmortem["id"]), headers={"If-Match": "*"}).status_code == 204
    assert not PostMortem.objects.filter(pk=postmortem["id"]).exists()


# If-None-Match on GET ------------------------------------------------------------------


@pytest.mark.parametrize("value", ['"1"', "*", '"5", "1"', 'W/"1"', '"x", W/"1"'])
def test_if_none_match_answers_304_to_a_list_a_wildcard_or_a_weak_tag(api, postmortem, value):
    response = api.get(url(postmortem["id"]), headers={"If-None-Match": value})
    assert response.status_code == 304, value
    assert response["ETag"] == '"1"'
    assert response.content == b""


@pytest.mark.parametrize("value", ['"2"', '"5", "01"', 'W/"2"'])
def test_if_none_match_naming_no_current_version_answers_the_report(api, postmortem, value):
    response = api.get(url(postmortem["id"]), headers={"If-None-Match": value})
    assert response.status_code == 200
    assert response.json()["id"] == postmortem["id"]


def test_if_none_match_wildcard_on_a_hidden_draft_stays_404(make_user, api_for, postmortem):
    dave = api_for(make_user("dave"))
    response = dave.get(url(postmortem["id"]), headers={"If-None-Match": "*"})
    assert response.status_code == 404


def test_a_malformed_if_none_match_is_a_400(api, postmortem):
    response = api.get(url(postmortem["id"]), headers={"If-None-Match": "1"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "bad_if_none_match"
    assert "If-None-Match" in body["fields"]
