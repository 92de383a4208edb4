"""`hindsight serve`: several servers starting at once on one fresh database, the generated
secret key, and configuration mistakes stopping start-up with the variable's name."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.live import LiveServer, free_port

SERVERS = 4


@pytest.fixture(scope="module")
def fleet():
    """SERVERS `hindsight serve` processes launched together on one fresh data dir (and, on
    PostgreSQL, one fresh database), each waited for only once all are launched."""
    live = LiveServer(workers=1)
    for name in ("HINDSIGHT_DEBUG", "HINDSIGHT_SECRET_KEY", "HINDSIGHT_SECRET_KEY_FILE"):
        live.env.pop(name, None)
    try:
        live.process = live.spawn(live.port, live.log)
        servers = [(live.url, live.process, live.log), *live.start_more(SERVERS - 1)]
        for url, process, log in servers:
            LiveServer.wait_until_healthy(url, process, log)
        yield live, servers
    finally:
        live.stop()


@pytest.mark.slow
def test_servers_started_together_all_come_up_and_migrate_exactly_once(fleet):
    live, servers = fleet
    logs = [log.read_text() for _, _, log in servers]
    for text in logs:
        assert "Traceback" not in text and "Error" not in text, text
    applied = [text for text in logs if "Applied " in text]
    assert len(applied) == 1, logs
    assert sum("The database is up to date." in text for text in logs) == SERVERS - 1, logs
    duplicates = live.query(
        "SELECT app, name FROM django_migrations GROUP BY app, name HAVING COUNT(*) > 1"
    )
    assert duplicates == []
    count = live.query("SELECT COUNT(*) FROM django_migrations")[0][0]
    assert f"Applied {count} migrations" in applied[0]

    token = live.user_with_token("ann")
    for url, _, _ in servers:
        live.url = url  # the same data through each server
        status, _, body = live.request("GET", "/api/postmortems", token)
        assert status == 200, body
        assert body["total"] == 0
    live.url = servers[0][0]


def test_the_secret_key_is_generated_once_into_the_data_dir_with_mode_0600(fleet):
    live, _ = fleet
    key_file = live.data_dir / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    key = key_file.read_text().strip()
    assert len(key) >= 50
    # Four servers raced to create it: one file, no temporary leftovers.
    assert not list(live.data_dir.glob(".secret_key.*"))
    shown = live.hindsight(
        "manage", "shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)"
    )
    assert shown.stdout.strip().splitlines()[-1] == key  # reused, not regenerated
    assert key_file.read_text().strip() == key


def test_a_configured_secret_key_is_used_and_none_is_written():
    with tempfile.TemporaryDirectory() as data_dir:
        env = {
            **os.environ,
            "HINDSIGHT_DATA_DIR": data_dir,
            "HINDSIGHT_SECRET_KEY": "configured-secret-for-the-test",
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "hindsight.cli",
                "manage",
                "shell",
                "-c",
                "from django.conf import settings; print(settings.SECRET_KEY)",
            ],  # fmt: skip
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == "configured-secret-for-the-test"
        assert not (Path(data_dir) / "secret_key").exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [("HINDSIGHT_DEBUG", "maybe"), ("HINDSIGHT_WORKERS", "many"), ("HINDSIGHT_SERVER", "nginx")],
)
def test_a_bad_setting_stops_serve_with_the_variables_name(name, value):
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "HINDSIGHT_DATA_DIR": data_dir, name: value}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        result = subprocess.run(
            [sys.executable, "-m", "hindsight.cli", "serve", "--port", str(free_port())],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,  # a server that started anyway would hang here and fail the test
        )
    assert result.returncode != 0
    assert name in result.stderr and repr(value) in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_debug_is_off_by_default_so_errors_show_no_debug_page(fleet):
    live, _ = fleet
    status, _, page = live.request("GET", "/no-such-page")
    assert status == 404
    assert "URLconf" not in page and "Traceback" not in page and "DEBUG = True" not in page
    status, _, body = live.request("GET", "/api/no-such-endpoint")
    assert status == 404
    assert "URLconf" not in str(body)
