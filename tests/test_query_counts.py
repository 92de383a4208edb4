"""What each hot endpoint costs in queries, pinned: the token check included, whatever the
report's size (the issue's bounds: create ≤ 12, get ≤ 2, list page ≤ 4). Test transactions
add a SAVEPOINT and its RELEASE to every write, counted here too."""

import pytest

from hindsight.postmortems.models import PostMortem


@pytest.fixture
def api(alice, api_for):
    api = api_for(alice)
    api.get("/api/health")
    api.get("/api/postmortems")  # the token's first use records it; later uses do not
    return api


def test_a_full_create_takes_at_most_13_queries(
    api, incident, seed_body, django_assert_max_num_queries
):
    # One of them binds the contributors to the users they name.
    with django_assert_max_num_queries(13):
        response = api.post("/api/postmortems", seed_body)
    assert response.status_code == 201
    assert PostMortem.objects.get(pk=response.json()["id"]).action_items.count() == 3


def test_a_get_takes_at_most_2_queries(api, postmortem, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = api.get(f"/api/postmortems/{postmortem['id']}")
    assert response.status_code == 200
    assert len(response.json()["timeline"]) == 5


def test_a_draft_seen_by_a_contributor_still_takes_at_most_2_queries(
    bob, api_for, postmortem, django_assert_max_num_queries
):
    # bob@example.com is named among the seed's contributors.
    api = api_for(bob)
    api.get("/api/postmortems")
    with django_assert_max_num_queries(2):
        response = api.get(f"/api/postmortems/{postmortem['id']}")
    assert response.status_code == 200


@pytest.mark.parametrize("params", [{}, {"q": "pool"}, {"status": "DRAFT", "tag": "x"}])
def test_a_list_page_takes_at_most_4_queries(
    api, incident, seed_body, params, django_assert_max_num_queries
):
    for _ in range(25):
        api.post("/api/postmortems", seed_body)
    with django_assert_max_num_queries(4):
        response = api.get("/api/postmortems", params=params)
    assert response.status_code == 200
    if not params:
        assert len(response.json()["items"]) == 20


def test_an_update_is_built_from_what_was_written(api, postmortem, django_assert_max_num_queries):
    body = api.get(f"/api/postmortems/{postmortem['id']}").json()
    body["actionItems"][0]["status"] = "DONE"
    with django_assert_max_num_queries(14):
        response = api.patch(
            f"/api/postmortems/{postmortem['id']}", {"actionItems": body["actionItems"]}
        )
    assert response.status_code == 200
    assert response.json()["actionItemsDone"] == 1


def test_the_report_page_loads_the_report_once(
    alice, client, postmortem, django_assert_max_num_queries
):
    """Session, user, the report (its rows built from its stored document), reviews, review
    requests and comments: the review block reads the report already loaded instead of
    loading it twice more, and the round comes from the report's row."""
    client.force_login(alice)
    client.get(f"/postmortems/{postmortem['id']}")  # the session's first use is not the page's
    with django_assert_max_num_queries(8) as captured:
        response = client.get(f"/postmortems/{postmortem['id']}")
    assert response.status_code == 200
    assert b"Connection pool size increased manually" in response.content
    loads = [q for q in captured.captured_queries if 'FROM "postmortems_postmortem"' in q["sql"]]
    assert len(loads) == 1


@pytest.mark.parametrize("params", [{}, {"q": "pool"}, {"sort": "title", "service": "check"}])
def test_the_web_list_page_costs_the_same_whatever_its_rows(
    alice, client, api, incident, seed_body, params, django_assert_max_num_queries
):
    """The web list is the API's list function: session, user, count and page (a search:
    its ranked ids, then their rows), and one more for the snippets of a search; never a
    query per row."""
    client.force_login(alice)
    for _ in range(25):
        api.post("/api/postmortems", seed_body)
    client.get("/postmortems")
    with django_assert_max_num_queries(6 if params.get("q") else 4):
        response = client.get("/postmortems", params)
    assert response.status_code == 200
    assert response.content.count(b"<tr>") == 21  # the headings and 20 reports


def test_the_home_page_costs_the_same_whatever_its_rows(
    alice, client, api, incident, seed_body, django_assert_max_num_queries
):
    client.force_login(alice)
    client.get("/")
    with django_assert_max_num_queries(12) as few:
        client.get("/")
    baseline = len(few.captured_queries)  # read now: the next request resets the log
    for _ in range(8):
        api.post(
            "/api/postmortems",
            {
                **seed_body,
                "actionItems": [{"description": "Mine", "owner": "alice", "dueDate": "2026-01-01"}],
            },
        )
    with django_assert_max_num_queries(baseline):
        body = client.get("/").content.decode()
    assert body.count(">Mine</strong>") == 8
