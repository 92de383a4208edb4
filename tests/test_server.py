"""The HTTP server behind `hindsight serve`, for each server it can run (HINDSIGHT_SERVER):
requests in flight finish after SIGTERM, --workers and --threads take effect, static files
are served, and a body over 1 MiB is refused in the API's error shape."""

import json
import os
import signal
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from hindsight import web
from hindsight.lib.server import SERVERS
from tests.live import LiveServer

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def serving(server: str, *, workers: int, threads: int | None = None) -> LiveServer:
    """A LiveServer run by SERVER with tests.slow_settings (X-Test-Delay makes a request slow)."""
    live = LiveServer(workers=workers, threads=threads, extra_env={"HINDSIGHT_SERVER": server})
    live.env["DJANGO_SETTINGS_MODULE"] = "tests.slow_settings"
    live.env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p
    )
    return live


def slow_log(live: LiveServer) -> list[str]:
    path = live.data_dir / "slow-requests.log"
    return path.read_text().split() if path.exists() else []


def wait_for(condition, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def slow_health(live: LiveServer, seconds: float, results: list) -> threading.Thread:
    """GET /api/health taking SECONDS, in a thread; its (status, body) lands in RESULTS."""

    def send():
        request = urllib.request.Request(
            live.url + "/api/health", headers={"X-Test-Delay": str(seconds)}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            results.append((response.status, json.loads(response.read())))

    thread = threading.Thread(target=send)
    thread.start()
    return thread


def worker_pids(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return children


@pytest.fixture(scope="module", params=SERVERS)
def live(request):
    live = serving(request.param, workers=2, threads=3)
    try:
        yield live.start()
    finally:
        live.stop()


@pytest.mark.parametrize("server", SERVERS)
def test_sigterm_lets_the_request_in_flight_finish_and_exits_0(server):
    live = serving(server, workers=1)
    try:
        live.start()
        results = []
        thread = slow_health(live, 2, results)
        wait_for(lambda: slow_log(live) == ["start"])
        os.kill(live.process.pid, signal.SIGTERM)
        thread.join(timeout=30)
        assert [(status, body["status"]) for status, body in results] == [(200, "ok")]
        assert live.process.wait(timeout=30) == 0
        assert slow_log(live) == ["start", "end"]
        log = live.log.read_text()
        assert "Traceback" not in log, log
    finally:
        live.stop()


def test_it_runs_the_workers_asked_for(live):
    assert len(worker_pids(live.process.pid)) == 2


def test_each_worker_runs_requests_on_the_threads_asked_for(live):
    # Three slow requests on two workers of three threads: all three are in flight at once,
    # which single-threaded workers could not do.
    results: list = []
    threads = [slow_health(live, 2, results) for _ in range(3)]
    wait_for(lambda: len(slow_log(live)) >= 3)
    assert slow_log(live)[:3] == ["start"] * 3
    for thread in threads:
        thread.join(timeout=30)
    assert [status for status, _ in results] == [200] * 3


def test_static_files_are_served_by_the_real_server(live):
    status, headers, body = live.request("GET", "/static/web/hindsight.css")
    assert status == 200
    assert {k.lower(): v for k, v in headers.items()}["content-type"].startswith("text/css")
    shipped = Path(web.__file__).parent / "static" / "web" / "hindsight.css"
    assert body == shipped.read_text()


def test_a_body_over_1_mib_is_refused_with_413_in_the_api_error_shape(live):
    token = live.user_with_token("alice")
    big = {"title": "x" * (3 * 1024 * 1024 // 2)}  # 1.5 MiB
    status, _, body = live.request("POST", "/api/postmortems", token, big)
    assert status == 413, body
    assert body["error"] == "too_large"
    assert body["fields"] == {"body": "over 1 MiB"}
    status, _, listing = live.request("GET", "/api/postmortems", token)
    assert status == 200 and listing["total"] == 0
