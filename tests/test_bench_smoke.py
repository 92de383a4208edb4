"""The benchmark's bulk loader writes what the API serves, so bench/ cannot silently rot:
rows loaded with bulk_create must be searchable (FTS5 rows / search_vector) and readable."""

from bench.seed import BENCH_USER, CODENAMES, seed


def test_bulk_loaded_post_mortems_are_found_by_search_and_read_through_the_api(admin, api_for):
    assert seed(50) == 50
    api = api_for(admin)

    listed = api.get("/api/postmortems", params={"limit": 5}).json()
    assert listed["total"] == 50
    assert listed["totalIsExact"] is True
    assert len(listed["items"]) == 5

    # Record i names CODENAMES[i % 100] as the affected system, in its title only once.
    word = CODENAMES[7]
    found = api.get("/api/postmortems", params={"q": word}).json()
    assert found["total"] == 1
    [hit] = found["items"]
    assert word in hit["title"]

    report = api.get(f"/api/postmortems/{hit['id']}")
    assert report.status_code == 200
    body = report.json()
    assert body["title"] == hit["title"]
    assert len(body["timeline"]) == 5
    assert all(event["at"] for event in body["timeline"])
    assert len(body["actionItems"]) == 3
    assert body["contributors"]

    export = api.get(f"/api/postmortems/{hit['id']}/export")
    assert export.status_code == 200
    assert f"# {hit['title']}" in export.content.decode()


def test_the_bench_user_sees_only_what_a_member_may(admin, api_for):
    seed(50)
    from hindsight.accounts.models import User
    from hindsight.postmortems.models import PostMortem

    bench = User.objects.get(username=BENCH_USER)
    visible = PostMortem.objects.visible_to(bench).count()
    assert 0 < visible <= 50
    listed = api_for(bench).get("/api/postmortems").json()
    assert listed["total"] == visible
