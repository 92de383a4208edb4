"""A real Hindsight server in its own process (`hindsight serve`), for tests that need HTTP:
concurrency, the CLI against a running server, and the browser tests.

On SQLite it gets a scratch data dir; on PostgreSQL (DATABASE_URL set) a database of its own,
created here and dropped afterwards.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_admin_url(url: str, dbname: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{dbname}"


def _pg_execute(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_pg_admin_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


class LiveServer:
    def __init__(self, workers: int = 2, extra_env: dict | None = None, threads: int | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = Path(tempfile.mkdtemp(prefix="hindsight-live-"))
        self.env = {
            **os.environ,
            "HINDSIGHT_DATA_DIR": str(self.data_dir),
            "HINDSIGHT_BASE_URL": self.url,
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.database = None
        if os.environ.get("DATABASE_URL"):
            self.database = f"hindsight_live_{secrets.token_hex(4)}"
            _pg_execute(os.environ["DATABASE_URL"], f'CREATE DATABASE "{self.database}"')
            self.env["DATABASE_URL"] = _pg_admin_url(os.environ["DATABASE_URL"], self.database)
        self.workers = workers
        self.threads = threads
        self.process = None
        self.log = self.data_dir / "server.log"
        self.others: list[subprocess.Popen] = []

    def hindsight(self, *args, input: str | None = None, check=True) -> subprocess.CompletedProcess:
        """Run the `hindsight` CLI against this server's data."""
        result = subprocess.run(
            [sys.executable, "-m", "hindsight.cli", *args],
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"hindsight {' '.join(args)} failed:\n{result.stderr}")
        return result

    def spawn(self, port: int, log: Path) -> subprocess.Popen:
        """Start one `hindsight serve` on PORT against this server's data, logging to LOG."""
        with log.open("w") as out:
            return subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "hindsight.cli",
                    "serve",
                    "--port",
                    str(port),
                    "--workers",
                    str(self.workers),
                    *(["--threads", str(self.threads)] if self.threads else []),
                ],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @staticmethod
    def wait_until_healthy(url: str, process: subprocess.Popen, log: Path, timeout=120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(url + "/api/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        raise RuntimeError(f"server did not answer in {timeout} s:\n{log.read_text()}")

    def start(self) -> "LiveServer":
        self.process = self.spawn(self.port, self.log)
        self.wait_until_healthy(self.url, self.process, self.log)
        return self

    def start_more(self, count: int) -> list[tuple[str, subprocess.Popen, Path]]:
        """Start COUNT further servers on the same data (not waiting for them); they are
        stopped with this one. Returns (url, process, log) for each."""
        started = []
        for index in range(count):
            port = free_port()
            log = self.data_dir / f"server-{index + 2}.log"
            process = self.spawn(port, log)
            self.others.append(process)
            started.append((f"http://127.0.0.1:{port}", process, log))
        return started

    def query(self, sql: str) -> list[tuple]:
        """Rows of one SQL query, straight from the server's database."""
        if self.database:
            import psycopg

            with psycopg.connect(self.env["DATABASE_URL"]) as conn:
                return conn.execute(sql).fetchall()
        import sqlite3

        conn = sqlite3.connect(self.data_dir / "hindsight.sqlite3", timeout=20)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    @staticmethod
    def _terminate(process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop(self) -> None:
        for process in [self.process, *self.others]:
            if process is not None:
                self._terminate(process)
        if self.database:
            _pg_execute(
                os.environ["DATABASE_URL"],
                f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)',
            )
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def user_with_token(self, name: str, role: str = "member") -> str:
        """Create a user through the CLI and return a fresh API token for it."""
        self.hindsight(
            "user",
            "add",
            name,
            "--role",
            role,
            "--email",
            f"{name}@example.com",
            "--password-stdin",
            input="a long enough password\n",
        )
        return self.hindsight("token", "new", name).stdout.strip()

    def request(self, method: str, path: str, token: str | None = None, body=None, headers=None):
        """(status, headers, parsed JSON or text) of one HTTP request. The headers are
        looked up regardless of case (granian sends lower-case names, gunicorn does not)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                status, head, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, head, raw = error.code, error.headers, error.read()
        text = raw.decode()
        try:
            return status, head, json.loads(text) if text else None
        except ValueError:
            return status, head, text
