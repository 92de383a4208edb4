"""Contributing-factor categories: the default list, admins add, rename and retire, a factor
names one by slug (unknown refused, retired kept where it was), and each report's factors
are rows of their own that the factors insight counts."""

import pytest

from hindsight.incidents.models import Incident
from hindsight.postmortems.models import Factor


@pytest.fixture
def api(alice, api_for):
    return api_for(alice)


def test_everyone_reads_the_default_list(api):
    response = api.get("/api/factor-categories")
    assert response.status_code == 200
    slugs = [c["slug"] for c in response.json()]
    assert "capacity-load" in slugs and "monitoring-gap" in slugs and len(slugs) == 12
    assert response.json()[0] == {
        "slug": "change-deployment",
        "name": "Change / deployment",
        "retired": False,
    }


def test_only_admins_add_rename_and_retire(api, admin, api_for):
    assert (
        api.post("/api/factor-categories", {"slug": "human-factors", "name": "x"}).status_code
        == 403
    )
    boss = api_for(admin)
    created = boss.post(
        "/api/factor-categories", {"slug": "feature-flags", "name": "Feature flags"}
    )
    assert created.status_code == 201, created.content
    assert (
        boss.post("/api/factor-categories", {"slug": "feature-flags", "name": "Again"}).status_code
        == 409
    )
    assert boss.post("/api/factor-categories", {"slug": "Bad Slug", "name": "x"}).status_code == 422
    renamed = boss.patch("/api/factor-categories/feature-flags", {"name": "Flags"})
    assert renamed.json() == {"slug": "feature-flags", "name": "Flags", "retired": False}
    assert boss.patch("/api/factor-categories/nope", {"name": "x"}).status_code == 404
    assert api.patch("/api/factor-categories/feature-flags", {"retired": True}).status_code == 403


def factors_patch(api, pm, factors, version):
    return api.patch(
        f"/api/postmortems/{pm['id']}",
        {"contributingFactors": factors},
        headers={"If-Match": f'"{version}"'},
    )


def test_a_factor_names_a_category_and_becomes_a_row(api, postmortem):
    response = factors_patch(
        api, postmortem,
        [{"factor": "Pool sized for average load", "category": "capacity-load"}, {"factor": "No alert"}],
        1,
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["contributingFactors"][0]["category"] == "capacity-load"
    rows = list(
        Factor.objects.filter(postmortem_id=postmortem["id"]).values_list("text", "category")
    )
    assert rows == [("Pool sized for average load", "capacity-load"), ("No alert", None)]
    factors_patch(api, postmortem, [{"factor": "Only this", "category": "alerting-gap"}], 2)
    rows = list(
        Factor.objects.filter(postmortem_id=postmortem["id"]).values_list("text", "category")
    )
    assert rows == [("Only this", "alerting-gap")]


def test_an_unknown_category_is_refused_and_nothing_written(api, postmortem):
    response = factors_patch(api, postmortem, [{"factor": "x", "category": "gremlins"}], 1)
    assert response.status_code == 422
    assert "contributingFactors[0].category" in response.json()["fields"]
    assert api.get(f"/api/postmortems/{postmortem['id']}").json()["version"] == 1
    assert not Factor.objects.exists()


def test_a_retired_category_stays_where_it_was_but_is_not_given_anew(
    api, admin, api_for, postmortem
):
    assert (
        factors_patch(api, postmortem, [{"factor": "a", "category": "automation"}], 1).status_code
        == 200
    )
    api_for(admin).patch("/api/factor-categories/automation", {"retired": True})
    kept = factors_patch(api, postmortem, [{"factor": "a, reworded", "category": "automation"}], 2)
    assert kept.status_code == 200, kept.content
    other = api.post(
        "/api/postmortems",
        {
            "incidentId": postmortem["incidentId"],
            "title": "New",
            "contributingFactors": [{"factor": "b", "category": "automation"}],
        },
    )
    assert other.status_code == 422 and "retired" in other.json()["message"]


def test_renaming_keeps_old_reports_counted_under_it(api, admin, api_for, postmortem):
    factors_patch(api, postmortem, [{"factor": "a", "category": "capacity-load"}], 1)
    api_for(admin).patch("/api/factor-categories/capacity-load", {"name": "Load"})
    body = api.get("/api/insights/factors").json()
    assert body["categories"] == [
        {
            "slug": "capacity-load",
            "name": "Load",
            "incidents": 1,
            "postmortems": [{"id": postmortem["id"], "title": postmortem["title"]}],
        }
    ]


def test_the_factors_insight_ranks_categories_and_services_by_incidents(
    api, alice, make_user, api_for
):
    for pk, services in (("a", ["checkout", "db"]), ("b", ["checkout"]), ("c", ["search"])):
        Incident.objects.create(id=pk, title=pk, services=services)

    def report(incident, categories, author=api):
        body = {
            "incidentId": incident,
            "title": f"On {incident}",
            "contributingFactors": [{"factor": c, "category": c} for c in categories],
        }
        response = author.post("/api/postmortems", body)
        assert response.status_code == 201, response.content
        return response.json()["id"]

    first = report("a", ["capacity-load", "monitoring-gap"])
    second = report("b", ["capacity-load"])
    report("b", ["capacity-load"])  # a second report on the same incident counts once
    report("c", ["monitoring-gap"], author=api_for(make_user("dave")))  # dave's draft
    body = api.get("/api/insights/factors").json()
    assert [(c["slug"], c["incidents"]) for c in body["categories"]] == [
        ("capacity-load", 2),
        ("monitoring-gap", 1),
    ]
    assert [p["id"] for p in body["categories"][1]["postmortems"]] == [first]
    assert {p["id"] for p in body["categories"][0]["postmortems"]} >= {first, second}
    services = {s["service"]: s for s in body["services"]}
    assert services["checkout"]["incidents"] == 2 and services["search"]["incidents"] == 1
    assert services["search"]["postmortems"] == []  # incidents count for all; dave's draft not
    assert body["uncategorisedFactors"] == 0
    filtered = api.get("/api/insights/factors", params={"service": "search"}).json()
    assert filtered["categories"] == [] and [s["service"] for s in filtered["services"]] == [
        "search"
    ]
