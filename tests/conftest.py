"""Shared fixtures. Django settings for tests are hindsight.settings_test (pyproject.toml),
which give every run its own scratch data dir before Django reads the environment."""

import json

import pytest


@pytest.fixture(autouse=True)
def _no_kept_insights(monkeypatch):
    """Each test starts with no insight kept from another test's data (insights/kept.py),
    and a refresh runs in the test's own thread, inside its transaction, not in another."""
    from django.core.cache import caches

    from hindsight.insights import kept

    caches["insights"].clear()
    monkeypatch.setattr(kept, "run_in_background", lambda work: work())


class Api:
    """A JSON client for one user, authenticated with a real bearer token."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def _send(
        self, method, path, body=None, headers=None, raw=None, content_type="application/json"
    ):
        extra = dict(self.headers)
        for name, value in (headers or {}).items():
            extra["HTTP_" + name.upper().replace("-", "_")] = value
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        return getattr(self.client, method)(path, data=data, content_type=content_type, **extra)

    def get(self, path, **kw):
        extra = dict(self.headers)
        for name, value in (kw.pop("headers", None) or {}).items():
            extra["HTTP_" + name.upper().replace("-", "_")] = value
        return self.client.get(path, kw.pop("params", None), **extra)

    def post(self, path, body=None, **kw):
        return self._send("post", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self._send("patch", path, body, **kw)

    def delete(self, path, **kw):
        return self._send("delete", path, None, **kw)


@pytest.fixture
def make_user(db):
    from hindsight.accounts.services import create_user

    def make(name, role="member", email=None):
        return create_user(
            name, password="a long enough password", email=email or f"{name}@example.com", role=role
        )

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def carol(make_user):
    return make_user("carol", role="viewer")


@pytest.fixture
def admin(make_user):
    return make_user("root", role="admin")


@pytest.fixture
def api_for(client):
    from django.test import Client

    from hindsight.accounts.services import create_token

    def make(user):
        return Api(Client(), create_token(user)[1] if user else None)

    return make


@pytest.fixture
def incident(alice):
    from hindsight.incidents.services import create_incident
    from hindsight.lib.times import parse_timestamp

    return create_incident(
        {
            "id": "inc_123",
            "title": "Checkout database outage",
            "severity": "SEV2",
            "services": ["checkout", "postgres"],
            "started_at": parse_timestamp("2026-03-01T14:30:00Z"),
        },
        by=alice,
    )


SEED = {
    "incidentId": "inc_123",
    "title": "Database Connection Pool Exhaustion",
    "summary": "Service experienced 15 minutes of downtime due to database connection pool exhaustion during traffic spike.",
    "impact": "All API endpoints returned 500 errors. Approximately 1,200 users affected.",
    "rootCause": "Connection pool size was insufficient for peak traffic. No auto-scaling configured.",
    "timeline": [
        {"time": "14:35", "description": "Traffic spike detected - 3x normal load"},
        {"time": "14:38", "description": "Database connections exhausted, errors begin"},
        {"time": "14:40", "description": "On-call engineer paged"},
        {"time": "14:45", "description": "Connection pool size increased manually"},
        {"time": "14:50", "description": "Service fully restored"},
    ],
    "actionItems": [
        {
            "description": "Implement connection pool monitoring with alerts",
            "owner": "engineering@example.com",
            "status": "TODO",
            "priority": "HIGH",
        },
        {
            "description": "Add auto-scaling for database connections",
            "owner": "devops@example.com",
            "status": "TODO",
            "priority": "HIGH",
        },
        {
            "description": "Review capacity planning procedures",
            "owner": "architecture@example.com",
            "status": "TODO",
            "priority": "MEDIUM",
        },
    ],
    "contributors": ["alice@example.com", "bob@example.com"],
    "status": "DRAFT",
}


@pytest.fixture
def seed_body():
    return json.loads(json.dumps(SEED))


@pytest.fixture
def postmortem(alice, incident, api_for, seed_body):
    """The seed post-mortem, created by alice through the API; returns its JSON."""
    response = api_for(alice).post("/api/postmortems", seed_body)
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture(scope="session")
def live_server_process():
    """One `hindsight serve` process for the whole run (see tests/live.py)."""
    from tests.live import LiveServer

    server = LiveServer().start()
    yield server
    server.stop()
