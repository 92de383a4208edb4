"""The post-mortem list's sort fields, service matching, severity and creation dates: the
API's parameters, and the web list that calls the same list function."""

import pytest

from hindsight.incidents.services import create_incident
from hindsight.postmortems.models import PostMortem


@pytest.fixture
def api(alice, api_for):
    return api_for(alice)


def make(api, title, incident="inc_123", **fields) -> dict:
    response = api.post("/api/postmortems", {"incidentId": incident, "title": title, **fields})
    assert response.status_code == 201, response.content
    return response.json()


def walk(api, **params) -> list[str]:
    titles, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = api.get("/api/postmortems", params=query)
        assert response.status_code == 200, response.content
        page = response.json()
        titles += [row["title"] for row in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            return titles


@pytest.fixture
def incidents(alice, db):
    create_incident(
        {
            "id": "inc_pay",
            "title": "Payments down",
            "severity": "SEV1",
            "services": ["Checkout-API", "payments"],
        },
        by=alice,
    )
    create_incident(
        {"id": "inc_search", "title": "Search stale", "severity": "SEV3", "services": ["search"]},
        by=alice,
    )
    create_incident({"id": "inc_none", "title": "No severity", "services": ["my_check"]}, by=alice)


def test_sorting_by_title_follows_the_letters_in_any_case_across_pages(api, incident):
    for title in ["delta", "Alpha", "charlie", "Bravo", "echo"]:
        make(api, title)
    assert walk(api, sort="title", order="asc", limit=2) == [
        "Alpha",
        "Bravo",
        "charlie",
        "delta",
        "echo",
    ]
    assert walk(api, sort="title", limit=2) == ["echo", "delta", "charlie", "Bravo", "Alpha"]


def test_sorting_by_status_follows_the_workflow(api, incident):
    make(api, "published", status="IN_REVIEW")
    published = api.get("/api/postmortems", params={"q": "published"}).json()["items"][0]
    api.patch(f"/api/postmortems/{published['id']}", {"status": "PUBLISHED"})
    make(api, "in review", status="IN_REVIEW")
    make(api, "draft")
    assert walk(api, sort="status", order="asc", limit=1) == ["draft", "in review", "published"]


def test_sorting_by_severity_puts_the_worst_first_and_none_last(api, incidents):
    make(api, "sev3", incident="inc_search")
    make(api, "none", incident="inc_none")
    make(api, "sev1", incident="inc_pay")
    assert walk(api, sort="severity", order="asc", limit=2) == ["sev1", "sev3", "none"]


def test_a_search_can_be_sorted_instead_of_ranked(api, incident):
    make(api, "Pool b", summary="pool pool pool")
    make(api, "Pool a")
    make(api, "Other")
    assert walk(api, q="pool", sort="title", order="asc", limit=1) == ["Pool a", "Pool b"]


def test_a_cursor_of_another_sort_is_a_422(api, incident):
    for n in range(3):
        make(api, f"Report {n}")
    cursor = api.get("/api/postmortems", params={"sort": "title", "limit": 1}).json()["nextCursor"]
    response = api.get("/api/postmortems", params={"sort": "status", "cursor": cursor})
    assert response.status_code == 422
    assert response.json()["fields"] == {"cursor": "invalid"}


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ("check", ["pay"]),  # a prefix
        ("CHECKOUT-api", ["pay"]),  # any case
        ("payments", ["pay"]),  # any of the incident's services
        ("  search ", ["search"]),  # spaces around are not part of it
        ("api", []),  # the start of the name only
        ("my_", ["none"]),  # LIKE's wildcards are taken literally
        ("my%", []),
        ("m_", []),
    ],
)
def test_the_service_filter_matches_a_prefix_in_any_case(api, incidents, service, expected):
    make(api, "pay", incident="inc_pay")
    make(api, "search", incident="inc_search")
    make(api, "none", incident="inc_none")
    assert sorted(walk(api, service=service)) == expected


def test_severity_and_creation_dates_filter_the_list(api, incidents):
    make(api, "sev1", incident="inc_pay")
    late = make(api, "sev3", incident="inc_search")
    PostMortem.objects.filter(pk=late["id"]).update(created_at="2026-02-10T12:00:00Z")
    assert walk(api, severity="SEV1,SEV3") == ["sev1", "sev3"]
    assert walk(api, severity="SEV3") == ["sev3"]
    assert walk(api, createdTo="2026-02-10") == ["sev3"]
    assert walk(api, createdFrom="2026-02-11") == ["sev1"]


def test_the_web_list_uses_the_same_service_rule(alice, client, api, incidents):
    make(api, "Payments report", incident="inc_pay")
    make(api, "Search report", incident="inc_search")
    client.force_login(alice)
    page = client.get("/postmortems", {"service": "checkout"}).content.decode()
    assert "Payments report" in page
    assert "Search report" not in page


def test_the_openapi_documents_the_new_parameters(api, db):
    schema = api.get("/api/openapi.json").json()
    params = {p["name"]: p for p in schema["paths"]["/api/postmortems"]["get"]["parameters"]}
    assert {"service", "severity", "createdFrom", "createdTo", "sort", "order"} <= set(params)
    assert "any case" in params["service"]["description"]
    assert "createdAt, updatedAt, title, status, severity" in params["sort"]["description"]
    assert "title" in str(params["sort"]["schema"])
