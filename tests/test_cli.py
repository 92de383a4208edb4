"""The `hindsight` command against a running server's data: users, tokens, export, backup,
demo and migrate. Each CLI call is a real subprocess, as an operator would run it."""

import os
import sqlite3
import subprocess
import sys
import threading

import pytest

from tests.live import LiveServer

ON_POSTGRES = bool(os.environ.get("DATABASE_URL"))
COMMANDS = ("serve", "migrate", "user", "token", "export", "backup", "demo")


@pytest.fixture(scope="module")
def server():
    """A server of this module's own: the demo and the users made here stay out of others'
    way (and theirs out of ours)."""
    live = LiveServer(workers=2).start()
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="module")
def ann(server):
    """A member with a token."""
    return server.user_with_token("ann")


@pytest.fixture(scope="module")
def draft(server, ann):
    status, _, incident = server.request(
        "POST",
        "/api/incidents",
        ann,
        {"title": "Cache stampede", "severity": "SEV3", "startedAt": "2026-03-02T09:00:00Z"},
    )
    assert status == 201, incident
    status, _, created = server.request(
        "POST",
        "/api/postmortems",
        ann,
        {
            "incidentId": incident["id"],
            "title": "Cache stampede after a deploy",
            "summary": "Every cache key expired at once.",
            "timeline": [{"time": "09:05", "description": "Hit rate drops to zero"}],
            "actionItems": [
                {"description": "Add jitter to expiry", "owner": "ann", "dueDate": "2026-04-01"}
            ],
        },
    )
    assert status == 201, created
    return created


def test_help_lists_and_explains_every_command():
    result = subprocess.run(
        [sys.executable, "-m", "hindsight.cli", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    for command in COMMANDS:
        assert f"\n    {command} " in result.stdout, command
    from hindsight.cli import build_parser

    subcommands = next(a for a in build_parser()._actions if a.dest == "command")
    for name, parser in subcommands.choices.items():
        if name != "manage":
            assert parser.format_help().strip(), name
    actions = {a.dest: a for a in subcommands.choices["user"]._actions}
    assert set(actions["user_command"].choices) == {"add", "list"}
    actions = {a.dest: a for a in subcommands.choices["token"]._actions}
    assert set(actions["token_command"].choices) == {"new", "list", "revoke"}


def test_user_add_reads_the_password_from_stdin_and_sets_role_and_email(server):
    result = server.hindsight(
        "user",
        "add",
        "vera",
        "--role",
        "viewer",
        "--email",
        "vera@example.com",
        "--password-stdin",
        input="correct horse battery staple\n",
    )
    assert result.stdout.strip() == "Created viewer vera."
    rows = server.query("SELECT role, email, password FROM accounts_user WHERE username = 'vera'")
    assert [(role, email) for role, email, _ in rows] == [("viewer", "vera@example.com")]
    assert rows[0][2].startswith("pbkdf2_sha256$")  # hashed, never kept as typed
    listing = server.hindsight("user", "list").stdout
    assert "vera\tviewer\tvera@example.com" in listing


def test_adding_an_existing_user_fails_with_a_message_on_stderr(server, ann):
    result = server.hindsight(
        "user", "add", "ANN", "--password-stdin", input="another long password\n", check=False
    )
    assert result.returncode != 0
    assert "already exists" in result.stderr
    assert result.stdout == ""
    assert server.query("SELECT COUNT(*) FROM accounts_user WHERE username = 'ANN'")[0][0] == 0


def test_user_add_refuses_a_weak_password_and_an_unknown_role(server):
    weak = server.hindsight(
        "user", "add", "wes", "--password-stdin", input="password\n", check=False
    )
    assert weak.returncode == 2
    assert "Password rejected" in weak.stderr
    role = server.hindsight(
        "user", "add", "wes", "--role", "owner", "--password-stdin", check=False
    )
    assert role.returncode == 2
    assert "invalid choice: 'owner'" in role.stderr
    assert server.query("SELECT COUNT(*) FROM accounts_user WHERE username = 'wes'")[0][0] == 0


def test_token_new_prints_the_token_alone_and_the_server_accepts_it(server, ann):
    result = server.hindsight("token", "new", "ann", "--label", "ci")
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hs_") and len(lines[0]) > 40
    status, _, body = server.request("GET", "/api/postmortems", lines[0])
    assert status == 200, body
    # Only a digest is stored, never the token.
    digests = [row[0] for row in server.query("SELECT digest FROM accounts_apitoken")]
    assert lines[0] not in digests and len(digests) >= 2


def test_token_list_shows_tokens_and_revoke_makes_the_server_refuse_one(server, ann):
    secret = server.hindsight("token", "new", "ann", "--label", "to revoke").stdout.strip()
    assert server.request("GET", "/api/incidents", secret)[0] == 200
    listing = server.hindsight("token", "list", "ann").stdout.splitlines()
    assert listing[0].split("\t")[:3] == ["ID", "HINT", "LABEL"]
    row = next(line.split("\t") for line in listing if "\tto revoke\t" in line)
    assert row[1] == secret[:7] + "…"
    assert row[5] == "-"  # not revoked yet

    revoked = server.hindsight("token", "revoke", row[0])
    assert "Revoked token" in revoked.stdout
    status, _, body = server.request("GET", "/api/incidents", secret)
    assert status == 401, body
    assert server.request("GET", "/api/incidents", ann)[0] == 200  # the others still work
    listing = server.hindsight("token", "list", "ann").stdout
    assert (
        next(line for line in listing.splitlines() if "\tto revoke\t" in line).split("\t")[5] != "-"
    )

    again = server.hindsight("token", "revoke", row[0], check=False)
    assert again.returncode != 0 and "no active token" in again.stderr


def test_export_writes_markdown_to_stdout_or_a_file(server, draft):
    printed = server.hindsight("export", draft["id"]).stdout
    assert "\n# Cache stampede after a deploy\n" in "\n" + printed
    assert "Add jitter to expiry" in printed and "2026-04-01" in printed
    target = server.data_dir / "exports" / "report.md"
    target.parent.mkdir()
    result = server.hindsight("export", draft["id"], "-o", str(target), "--as", "ann")
    assert target.read_text() == printed
    assert result.stdout == ""


def test_export_as_a_user_who_may_not_see_the_draft_fails_clearly(server, draft):
    server.hindsight(
        "user",
        "add",
        "vic",
        "--role",
        "viewer",
        "--password-stdin",
        input="vic has a long password\n",
    )
    result = server.hindsight("export", draft["id"], "--as", "vic", check=False)
    assert result.returncode != 0
    assert result.stdout == ""
    assert f"{draft['id']} does not exist or vic may not see it" in result.stderr
    missing = server.hindsight("export", "pm_nope", "--as", "nobody", check=False)
    assert missing.returncode != 0 and "no user named nobody" in missing.stderr


@pytest.mark.skipif(ON_POSTGRES, reason="hindsight backup copies SQLite; PostgreSQL uses pg_dump")
@pytest.mark.slow
def test_backup_while_serving_and_writing_gives_a_consistent_copy(server, ann, draft):
    incident = draft["incidentId"]
    stop = threading.Event()
    created: list[str] = []

    def keep_writing():
        while not stop.is_set():
            body = {
                "incidentId": incident,
                "title": f"written during backup {len(created)}",
                "timeline": [{"time": f"10:{m:02d}", "description": f"e{m}"} for m in range(5)],
            }
            status, _, answer = server.request("POST", "/api/postmortems", ann, body)
            assert status == 201, answer
            created.append(answer["id"])

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(created) < 5:
            threading.Event().wait(0.05)
        target = server.data_dir / "backups" / "copy.sqlite3"
        result = server.hindsight("backup", str(target))
        before_end = len(created)
    finally:
        stop.set()
        writer.join()
    assert "Backed up to" in result.stdout
    assert len(created) > 5, "the server was being written to during the backup"

    copy = sqlite3.connect(f"{target.as_uri()}?mode=ro", uri=True)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        rows = copy.execute(
            "SELECT p.id, COUNT(e.id) FROM postmortems_postmortem p"
            " LEFT JOIN postmortems_timelineevent e ON e.postmortem_id = p.id"
            " WHERE p.title LIKE 'written during backup%' GROUP BY p.id"
        ).fetchall()
        # A snapshot: whole post-mortems only (each with its five events), and every one
        # created before the backup began is there.
        assert all(count == 5 for _, count in rows), rows
        assert set(created[:5]) <= {pm for pm, _ in rows}
        assert len(rows) <= before_end + 1
        assert copy.execute("SELECT COUNT(*) FROM accounts_user").fetchone()[0] >= 1
    finally:
        copy.close()

    refused = server.hindsight("backup", str(target), check=False)
    assert refused.returncode != 0 and "--force" in refused.stderr


@pytest.mark.skipif(not ON_POSTGRES, reason="the PostgreSQL refusal needs DATABASE_URL")
def test_backup_on_postgresql_points_at_pg_dump(server):
    target = server.data_dir / "copy.sqlite3"
    result = server.hindsight("backup", str(target), check=False)
    assert result.returncode != 0
    assert "pg_dump" in result.stderr
    assert not target.exists()


@pytest.mark.slow
def test_demo_loads_every_status_once_and_a_second_run_changes_nothing(server):
    first = server.hindsight("demo")
    assert "Loaded 127 incidents and " in first.stdout
    assert "120 of the incidents make up 18 months of history" in first.stdout
    assert "password" in first.stdout
    counts = """SELECT (SELECT COUNT(*) FROM incidents_incident WHERE id LIKE 'inc_demo_%'),
                       (SELECT COUNT(*) FROM postmortems_postmortem),
                       (SELECT COUNT(*) FROM postmortems_actionitem),
                       (SELECT COUNT(*) FROM accounts_user)"""
    loaded = server.query(counts)
    statuses = {s for (s,) in server.query("SELECT DISTINCT status FROM postmortems_postmortem")}
    assert {"DRAFT", "IN_REVIEW", "PUBLISHED", "ARCHIVED"} <= statuses
    items = set(server.query("SELECT DISTINCT status, priority FROM postmortems_actionitem"))
    assert {s for s, _ in items} == {"TODO", "IN_PROGRESS", "DONE"}
    assert {p for _, p in items} == {"HIGH", "MEDIUM", "LOW"}
    roles = dict(server.query("SELECT username, role FROM accounts_user"))
    assert (roles["admin"], roles["alice"], roles["bob"], roles["carol"]) == (
        "admin",
        "member",
        "member",
        "viewer",
    )

    second = server.hindsight("demo")
    assert "already loaded" in second.stdout
    assert server.query(counts) == loaded

    # The data set is usable through the API: a viewer sees no drafts.
    carol = server.hindsight("token", "new", "carol").stdout.strip()
    for wanted in ("IN_REVIEW", "PUBLISHED", "ARCHIVED"):
        status, _, listing = server.request("GET", f"/api/postmortems?status={wanted}", carol)
        assert status == 200 and listing["items"], wanted
    status, _, drafts = server.request("GET", "/api/postmortems?status=DRAFT", carol)
    assert status == 200 and drafts["items"] == []

    # Eighteen months of history: trends, near misses, and one recurrence.
    status, _, incidents = server.request("GET", "/api/insights/incidents", carol)
    assert len(incidents["byMonth"]) >= 17 and incidents["nearMisses"] >= 5
    (later,) = server.query(
        "SELECT id FROM postmortems_postmortem WHERE incident_id = 'inc_demo_h119'"
    )
    status, _, found = server.request("GET", f"/api/postmortems/{later[0]}/related", carol)
    assert status == 200 and found["items"][0]["possibleRecurrence"] is True


def test_migrate_is_idempotent(server):
    before = server.query("SELECT COUNT(*) FROM django_migrations")
    for _ in range(2):
        result = server.hindsight("migrate")
        assert result.stdout.strip() == "The database is up to date."
    assert server.query("SELECT COUNT(*) FROM django_migrations") == before
