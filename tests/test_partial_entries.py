def test_an_entry_with_an_id_may_leave_out_its_required_fields(alice, api_for, postmortem):
    api = api_for(alice)
    first = postmortem["timeline"][0]
    item = postmortem["actionItems"][0]
    r = api.patch(
        f"/api/postmortems/{postmortem['id']}",
        {
            "timeline": [{"id": first["id"], "who": "on-call"}] + postmortem["timeline"][1:],
            "actionItems": [{"id": item["id"], "status": "DONE"}] + postmortem["actionItems"][1:],
        },
    )
    assert r.status_code == 200, r.content
    got = api.get(f"/api/postmortems/{postmortem['id']}").json()
    assert (
        got["timeline"][0]["time"] == first["time"]
        and got["timeline"][0]["description"] == first["description"]
    )
    assert got["timeline"][0]["who"] == "on-call"
    assert (
        got["actionItems"][0]["description"] == item["description"]
        and got["actionItems"][0]["status"] == "DONE"
    )


def test_a_new_entry_must_give_its_required_fields(alice, api_for, postmortem):
    api = api_for(alice)
    r = api.patch(
        f"/api/postmortems/{postmortem['id']}",
        {"timeline": postmortem["timeline"] + [{"description": "no time"}]},
    )
    assert r.status_code == 422 and "timeline[5].time" in r.json()["fields"], r.content
    r = api.patch(f"/api/postmortems/{postmortem['id']}", {"actionItems": [{"owner": "x"}]})
    assert r.status_code == 422 and "actionItems[0].description" in r.json()["fields"], r.content
    assert api.get(f"/api/postmortems/{postmortem['id']}").json()["version"] == 1


def test_an_unknown_api_path_answers_in_the_api_error_shape(alice, api_for):
    r = api_for(alice).get("/api/no-such-thing")
    assert r.status_code == 404 and r.json()["error"] == "not_found"


def test_search_matches_the_last_word_as_a_prefix_on_every_database(alice, api_for, postmortem):
    got = api_for(alice).get("/api/postmortems", params={"q": "connection po"}).json()
    assert [i["id"] for i in got["items"]] == [postmortem["id"]]
