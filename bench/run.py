"""Load-test a real Hindsight server over HTTP with wrk.

    python bench/run.py --count 10000 [--database-url postgres://…] [--duration 15]
                        [--connections 8] [--runs 3]

Fills a fresh data dir (or the given PostgreSQL database) with COUNT post-mortems, starts
`hindsight serve` on 127.0.0.1 and a free port, and drives it from wrk, a separate process:
health, get by id, list page, search, export and create. Prints p50/p99 latency, requests
per second and each endpoint's throughput as a ratio to /api/health on the same server
(medians of --runs runs), the RSS of each worker, and how list latency grew from 1,000
records to COUNT. See bench/README.md for reading the numbers.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from hindsight.lib.server import SERVERS

REPO = Path(__file__).resolve().parent.parent
GROWTH_BASE = 1000

# The seed post-mortem of the issue: a full body (five timeline events, three action items).
CREATE_BODY = {
    "title": "Database Connection Pool Exhaustion",
    "summary": "Service experienced 15 minutes of downtime due to database connection pool"
    " exhaustion during traffic spike.",
    "impact": "All API endpoints returned 500 errors. Approximately 1,200 users affected.",
    "rootCause": "Connection pool size was insufficient for peak traffic."
    " No auto-scaling configured.",
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

# Each wrk thread has its own Lua state; `done` runs once, in the main state, and prints
# one JSON line that run.py reads back.
LUA_COMMON = r"""
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
function init(args)
  math.randomseed(os.time() * 1000 + (id or 0) * 7919)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nBENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "mean_us": %f,'
    .. ' "non2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def lua_list(name: str, values: list[str]) -> str:
    return f"local {name} = {{" + ",".join(json.dumps(v) for v in values) + "}\n"


def scripts(token: str, sample: dict) -> dict[str, tuple[str, str]]:
    """Endpoint name → (path wrk starts from, Lua script)."""
    auth = f'wrk.headers["Authorization"] = "Bearer {token}"\n'
    ids = lua_list("ids", sample["ids"])
    words = lua_list("words", sample["codenames"])
    body = json.dumps({"incidentId": sample["incident"], **CREATE_BODY})
    return {
        "health": ("/api/health", ""),
        "get": (
            "/api/postmortems",
            auth + ids + 'request = function() return wrk.format("GET", "/api/postmortems/"'
            " .. ids[math.random(#ids)]) end\n",
        ),
        "list": ("/api/postmortems?limit=20", auth),
        "search": (
            "/api/postmortems",
            auth
            + words
            + 'request = function() return wrk.format("GET", "/api/postmortems?limit=20&q="'
            " .. words[math.random(#words)]) end\n",
        ),
        "export": (
            "/api/postmortems",
            auth + ids + 'request = function() return wrk.format("GET", "/api/postmortems/"'
            ' .. ids[math.random(#ids)] .. "/export") end\n',
        ),
        "related": (
            "/api/postmortems",
            auth + ids + 'request = function() return wrk.format("GET", "/api/postmortems/"'
            ' .. ids[math.random(#ids)] .. "/related") end\n',
        ),
        **{f"insights-{name}": (f"/api/insights/{name}", auth) for name in INSIGHTS},
        "create": (
            "/api/postmortems",
            auth
            + 'wrk.method = "POST"\n'
            + 'wrk.headers["Content-Type"] = "application/json"\n'
            + f"wrk.body = {json.dumps(body)}\n",
        ),
    }


# The insights, unfiltered: each counts across every record the member may read.
INSIGHTS = ["incidents", "durations", "postmortems", "action-items", "factors"]
READS = [
    "health", "get", "list", "search", "export", "related",
    *(f"insights-{name}" for name in INSIGHTS),
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_url(url: str, dbname: str) -> str:
    return url.rpartition("/")[0] + "/" + dbname


def _pg_execute(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_pg_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


class Bench:
    """One data set and the server on it."""

    def __init__(self, args, *, data_dir: str | None = None, database_url: str | None = None):
        self.args = args
        self.keep = bool(data_dir) or args.keep
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="hindsight-bench-"))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "HINDSIGHT_DATA_DIR": str(self.data_dir),
            "HINDSIGHT_BASE_URL": self.url,
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p
            ),
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        if args.server:
            self.env["HINDSIGHT_SERVER"] = args.server
        if database_url:
            self.env["DATABASE_URL"] = database_url
        else:
            self.env.pop("DATABASE_URL", None)
        self.server = None
        self.scratch_database = None

    @classmethod
    def scratch(cls, args) -> "Bench":
        """A fresh, empty data set beside the main one (a new database on PostgreSQL)."""
        if not args.database_url:
            return cls(args)
        name = f"hindsight_bench_{os.getpid()}"
        _pg_execute(args.database_url, f'CREATE DATABASE "{name}"')
        bench = cls(args, database_url=_pg_url(args.database_url, name))
        bench.scratch_database = name
        return bench

    def close(self) -> None:
        self.stop_server()
        if self.scratch_database:
            _pg_execute(
                self.args.database_url,
                f'DROP DATABASE IF EXISTS "{self.scratch_database}" WITH (FORCE)',
            )
        if self.keep:
            print(f"data kept in {self.data_dir}")
        else:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    # Processes --------------------------------------------------------------------------

    def python(self, *argv: str) -> str:
        result = subprocess.run(
            [sys.executable, *argv], env=self.env, cwd=REPO, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed:\n{result.stderr}")
        return result.stdout

    def seed_to(self, total: int) -> dict:
        """Add post-mortems until the database holds TOTAL; returns seed.py's sample."""
        have = json.loads(self.python("-m", "bench.seed", "--count", "0", "--sample", "0"))
        missing = total - have["total"]
        started = time.monotonic()
        sample = json.loads(self.python("-m", "bench.seed", "--count", str(max(0, missing))))
        if missing > 0:
            took = time.monotonic() - started
            print(f"seeded {missing:,} post-mortems in {took:.0f} s ({missing / took:,.0f}/s)")
        return sample

    def start_server(self) -> None:
        command = [sys.executable, "-m", "hindsight.cli", "serve", "--port", str(self.port)]
        if self.args.workers:
            command += ["--workers", str(self.args.workers)]
        if self.args.threads:
            command += ["--threads", str(self.args.threads)]
        log = (self.data_dir / "server.log").open("a")
        self.server = subprocess.Popen(
            command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise SystemExit(f"server exited:\n{(self.data_dir / 'server.log').read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/api/health", timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise SystemExit("server did not answer /api/health within 120 s")

    def server_name(self) -> str:
        """The server `hindsight serve` says it runs ("… (granian, 2 workers) …")."""
        found = re.search(r"\((\w+), \d+ workers\)", (self.data_dir / "server.log").read_text())
        return found.group(1) if found else "unknown"

    def stop_server(self) -> None:
        if self.server and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait()
        self.server = None

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker: the serving process's descendants (gunicorn's
        workers are its children, and so are granian's multiprocessing workers), leaving out
        multiprocessing's helper processes, which serve no requests."""
        parents: dict[int, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
        workers, frontier = [], {self.server.pid}
        while frontier:
            children = [pid for pid, parent in parents.items() if parent in frontier]
            workers += children
            frontier = set(children)
        sizes = []
        for pid in workers:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            if b"resource_tracker" in cmdline or b"forkserver" in cmdline:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sorted(sizes)

    # Load -------------------------------------------------------------------------------

    def wrk(self, name: str, path: str, lua: str, duration: float) -> dict:
        script = self.data_dir / f"{name}.lua"
        script.write_text(lua + LUA_COMMON)
        result = subprocess.run(
            [
                "wrk",
                f"-t{self.args.wrk_threads}",
                f"-c{self.args.connections}",
                f"-d{duration}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                self.url + path,
            ],
            capture_output=True,
            text=True,
        )
        line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH ")), None)
        if line is None:
            raise SystemExit(f"wrk failed for {name}:\n{result.stdout}\n{result.stderr}")
        raw = json.loads(line[len("BENCH ") :])
        return {
            "rps": raw["requests"] / (raw["duration_us"] / 1e6),
            "p50": raw["p50_us"] / 1000,
            "p99": raw["p99_us"] / 1000,
            "errors": raw["non2xx"] + raw["socket_errors"],
            "requests": raw["requests"],
        }


def median_of(runs: list[dict]) -> dict:
    return {
        key: statistics.median(run[key] for run in runs)
        for key in ("rps", "p50", "p99", "errors", "requests")
    }


def table(results: dict[str, dict]) -> str:
    health = results["health"]["rps"]
    rows = [
        f"| {'endpoint':<8} | {'req/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | {'× health':>8} | errors |",
        f"|{'-' * 10}|{'-' * 10}:|{'-' * 8}:|{'-' * 8}:|{'-' * 9}:|-------:|",
    ]
    for name, m in results.items():
        rows.append(
            f"| {name:<8} | {m['rps']:>8,.0f} | {m['p50']:>7.1f} | {m['p99']:>7.1f} |"
            f" {m['rps'] / health if health else float('nan'):>8.2f} | {m['errors']:>6.0f} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Seed N post-mortems, serve them, and load-test the API with wrk."
    )
    parser.add_argument("--count", type=int, default=10_000, help="post-mortems (default 10000)")
    parser.add_argument(
        "--database-url", help="a PostgreSQL database to use (default: a fresh SQLite data dir)"
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds per endpoint run")
    parser.add_argument("--connections", type=int, default=8, help="concurrent HTTP connections")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--runs", type=int, default=3, help="runs per endpoint; medians shown")
    parser.add_argument("--workers", type=int, help="server workers (default: serve's default)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: serve's)")
    parser.add_argument(
        "--server",
        choices=SERVERS,
        help="HTTP server behind hindsight serve (default: serve's, or HINDSIGHT_SERVER)",
    )
    parser.add_argument(
        "--only", help="comma-separated endpoints to run (health is always included)"
    )
    parser.add_argument("--no-growth", action="store_true", help="skip the 1k list baseline")
    parser.add_argument("--keep", action="store_true", help="keep the data dir afterwards")
    parser.add_argument(
        "--data-dir", help="use (and keep) this SQLite data dir; it is topped up to --count"
    )
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    wanted = READS + ["create"]
    if args.only:
        wanted = ["health", *[n for n in args.only.split(",") if n != "health"]]
    report: dict = {
        "count": args.count,
        "database": "postgresql" if args.database_url else "sqlite",
    }
    growth = None
    if not args.no_growth and "list" in wanted and args.count > GROWTH_BASE:
        # The same list page on 1,000 records, in a data set of its own.
        base = Bench.scratch(args)
        try:
            base.seed_to(GROWTH_BASE)
            token = base.python("-m", "hindsight.cli", "token", "new", "bench").strip()
            base.start_server()
            path, lua = scripts(token, {"ids": [], "codenames": [], "incident": ""})["list"]
            base.wrk("list", path, lua, 2)  # warm-up
            growth = median_of(
                [base.wrk("list", path, lua, args.duration) for _ in range(args.runs)]
            )
        finally:
            base.close()

    bench = Bench(args, data_dir=args.data_dir, database_url=args.database_url)
    try:
        sample = bench.seed_to(args.count)
        token = bench.python("-m", "hindsight.cli", "token", "new", "bench").strip()
        bench.start_server()
        plan = scripts(token, sample)
        for name in wanted:  # warm-up: connections, caches, page cache
            if name != "create":
                bench.wrk(name, *plan[name], 2)
        load_before = os.getloadavg()[0]
        runs: dict[str, list[dict]] = {name: [] for name in wanted}
        # Reads first, interleaved run by run; creates last, so they do not change the data
        # the reads measure.
        for _ in range(args.runs):
            for name in wanted:
                if name != "create":
                    runs[name].append(bench.wrk(name, *plan[name], args.duration))
        if "create" in wanted:
            for _ in range(args.runs):
                runs["create"].append(bench.wrk("create", *plan["create"], args.duration))
        results = {name: median_of(r) for name, r in runs.items()}
        report["server"] = bench.server_name()
        rss = bench.worker_rss_mb()
        load_after = os.getloadavg()[0]
    finally:
        bench.close()

    where = report["database"]
    print(
        f"\nHindsight, {sample['total']:,} post-mortems at the start ({where},"
        f" server {report['server']}),"
        f" {args.connections} connections, {args.duration:g} s × {args.runs} runs (medians)\n"
    )
    print(table(results))
    print(f"\nworker RSS: {', '.join(f'{mb:.0f} MB' for mb in rss)}")
    print(
        f"load average: {load_before:.1f} before the runs, {load_after:.1f} after"
        f" ({os.cpu_count()} CPUs; well above 2 means something else shared the machine)"
    )
    if growth:
        at_n = results["list"]
        print(
            f"list growth {GROWTH_BASE:,} → {args.count:,}: p50 {growth['p50']:.1f} → "
            f"{at_n['p50']:.1f} ms ({at_n['p50'] / growth['p50']:.2f}×), p99 {growth['p99']:.1f}"
            f" → {at_n['p99']:.1f} ms ({at_n['p99'] / growth['p99']:.2f}×), req/s"
            f" {growth['rps']:,.0f} → {at_n['rps']:,.0f}"
        )
    if args.json:
        report.update(results=results, growth=growth, worker_rss_mb=rss, load=load_after)
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
