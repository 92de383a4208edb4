def test_health_answers_without_a_token(client, db):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_every_other_endpoint_needs_a_token(api_for, db):
    anonymous = api_for(None)
    for path in ("/api/postmortems", "/api/incidents", "/api/postmortems/pm_x"):
        response = anonymous.get(path)
        assert response.status_code == 401, path
        assert response.json()["error"] == "unauthorized"
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_seed_body_round_trips_verbatim(alice, incident, api_for, seed_body):
    api = api_for(alice)
    created = api.post("/api/postmortems", seed_body)
    assert created.status_code == 201
    fetched = api.get(f"/api/postmortems/{created.json()['id']}").json()
    for field, value in seed_body.items():
        if field in ("timeline", "actionItems"):
            got = [
                {k: entry[k] for k in sent}
                for entry, sent in zip(fetched[field], value, strict=True)
            ]
            assert got == value, field
        else:
            assert fetched[field] == value, field
    assert fetched["createdBy"] == "alice"
    assert fetched["version"] == 1
    assert fetched["timeline"][0]["at"] == "2026-03-01T14:35:00Z"
    assert all(e["id"].startswith("evt_") for e in fetched["timeline"])
    assert all(i["id"].startswith("act_") for i in fetched["actionItems"])
