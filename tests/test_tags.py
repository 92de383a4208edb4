def test_the_list_filters_by_tag_case_insensitively_and_needs_every_tag_given(
    alice, incident, api_for, seed_body
):
    api = api_for(alice)
    a = api.post("/api/postmortems", {**seed_body, "tags": ["Database", "capacity"]}).json()
    b = api.post("/api/postmortems", {**seed_body, "tags": ["network"]}).json()
    got = api.get("/api/postmortems", params={"tag": "database"}).json()
    assert [i["id"] for i in got["items"]] == [a["id"]] and got["items"][0]["tags"] == [
        "Database",
        "capacity",
    ]
    assert api.get("/api/postmortems", params={"tag": ["database", "network"]}).json()["total"] == 0
    assert {i["id"] for i in api.get("/api/postmortems").json()["items"]} == {a["id"], b["id"]}
