"""Every accepted change is recorded; the history and a diff between any two versions."""

import pytest


@pytest.fixture
def edited(alice, bob, api_for, postmortem):
    """Version 1 as created; 2: alice retitles; 3: bob closes an item; 4: alice adds a root
    cause and moves it to review."""
    api = api_for(alice)
    pm_url = f"/api/postmortems/{postmortem['id']}"
    assert api.patch(pm_url, {"title": "Pool exhaustion on checkout"}).status_code == 200
    item_id = postmortem["actionItems"][0]["id"]
    response = api_for(bob).patch(
        f"/api/action-items/{item_id}", {"status": "DONE", "dueDate": "2026-04-01"}
    )
    assert response.status_code == 200
    response = api.patch(pm_url, {"rootCause": "Pool of 10.", "status": "IN_REVIEW"})
    assert response.status_code == 200
    assert response.json()["version"] == 4
    return postmortem


def history(api, pm):
    response = api.get(f"/api/postmortems/{pm['id']}/history")
    assert response.status_code == 200, response.content
    return response.json()


def diff(api, pm, **params):
    return api.get(f"/api/postmortems/{pm['id']}/history/diff", params=params)


def test_the_history_lists_every_version_with_who_when_and_what(alice, api_for, edited):
    body = history(api_for(alice), edited)
    assert body["total"] == 4
    rows = body["items"]
    assert [(r["version"], r["changedBy"]) for r in rows] == [
        (1, "alice"),
        (2, "alice"),
        (3, "bob"),
        (4, "alice"),
    ]
    assert all(r["changedAt"] for r in rows)
    assert rows[0]["changes"]["title"] == {
        "old": None,
        "new": "Database Connection Pool Exhaustion",
    }
    assert rows[1]["changes"] == {
        "title": {
            "old": "Database Connection Pool Exhaustion",
            "new": "Pool exhaustion on checkout",
        }
    }
    assert set(rows[3]["changes"]) == {"rootCause", "status"}


def test_nested_entries_use_the_apis_field_names(alice, api_for, edited):
    change = history(api_for(alice), edited)["items"][2]["changes"]["actionItems"]
    old, new = change["old"][0], change["new"][0]
    assert (old["status"], old["dueDate"]) == ("TODO", None)
    assert (new["status"], new["dueDate"]) == ("DONE", "2026-04-01")
    assert "due_date" not in new


def test_a_diff_gives_each_changed_field_old_and_new(alice, api_for, edited):
    response = diff(api_for(alice), edited, **{"from": 2, "to": 4})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["from"], body["to"]) == (2, 4)
    assert set(body["changes"]) == {"actionItems", "rootCause", "status"}
    assert body["changes"]["rootCause"] == {
        "old": "Connection pool size was insufficient for peak traffic."
        " No auto-scaling configured.",
        "new": "Pool of 10.",
    }
    assert body["changes"]["status"] == {"old": "DRAFT", "new": "IN_REVIEW"}
    items = body["changes"]["actionItems"]
    assert isinstance(items["old"], list) and len(items["new"]) == 3
    assert [r["version"] for r in body["revisions"]] == [3, 4]
    assert body["revisions"][0] == {
        "version": 3,
        "changedBy": "bob",
        "changedAt": body["revisions"][0]["changedAt"],
        "fields": ["actionItems"],
    }


def test_a_diff_defaults_to_the_current_version_and_can_run_backwards(alice, api_for, edited):
    api = api_for(alice)
    forward = diff(api, edited, **{"from": 1}).json()
    assert forward["to"] == 4
    assert forward["changes"]["title"]["new"] == "Pool exhaustion on checkout"
    backward = diff(api, edited, **{"from": 4, "to": 1}).json()
    assert backward["changes"]["title"] == {
        "old": "Pool exhaustion on checkout",
        "new": "Database Connection Pool Exhaustion",
    }
    assert diff(api, edited, **{"from": 3, "to": 3}).json()["changes"] == {}


def test_a_diff_refuses_versions_that_do_not_exist(alice, api_for, edited):
    response = diff(api_for(alice), edited, **{"from": 2, "to": 9})
    assert response.status_code == 422
    assert response.json()["fields"] == {"to": "between 1 and 4"}
    assert diff(api_for(alice), edited).status_code == 422  # from is required


def test_the_history_is_as_private_as_the_postmortem(alice, carol, make_user, api_for, postmortem):
    dana = make_user("dana")
    pm_url = f"/api/postmortems/{postmortem['id']}"
    assert api_for(dana).get(pm_url + "/history").status_code == 404
    assert diff(api_for(dana), postmortem, **{"from": 1}).status_code == 404
    api_for(alice).patch(pm_url, {"status": "IN_REVIEW"})
    assert history(api_for(carol), postmortem)["total"] == 2


def test_the_history_needs_authentication(client, postmortem):
    assert client.get(f"/api/postmortems/{postmortem['id']}/history").status_code == 401
