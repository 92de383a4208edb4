"""Make the README's screenshots from `hindsight demo`, with no manual steps.

    .venv/bin/python scripts/screenshots.py [--out docs]

It loads the demo into a scratch data dir (SQLite, whatever DATABASE_URL says), starts
`hindsight serve` on a free port, signs in as alice in Debian's Chromium (/usr/bin/chromium,
headless) and writes the twelve PNGs the README embeds: desktop pages at 1366 × 900, the
phone at 390 × 844. The server is stopped and the scratch dir removed even on failure.

The demo's incidents have fixed ids; its post-mortems do not, so they are found through the
API by their incident, and the two whose choice depends on the data (the recurrence, the lint
checklist) by asking the API which one shows it.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from urllib.parse import quote
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
# The same flags as the browser tests (tests/browser/conftest.py).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
USER = "alice"

# Demo incidents whose post-mortem a screenshot shows (ids fixed in hindsight/demo.py).
EDITED_INCIDENT = "inc_demo_email_backlog"
REPORT_INCIDENT = "inc_demo_checkout_pool"
SHOWN_INCIDENT = "inc_demo_metrics_disk"

# What a report's placeholders for htmx-loaded panels look like until the panel arrives.
PENDING_PANELS = "[hx-get$='/related'], #editor-related > p > a[href$='/related']"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """The demo loaded into a scratch data dir and `hindsight serve` running on it."""

    def __init__(self) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="hindsight-screenshots-"))
        self.url = f"http://127.0.0.1:{free_port()}"
        self.env = {**os.environ, "HINDSIGHT_DATA_DIR": str(self.data_dir)}
        self.env["HINDSIGHT_BASE_URL"] = self.url
        # The scratch dir's SQLite, never a database someone configured for real work.
        self.env.pop("DATABASE_URL", None)
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.process: subprocess.Popen | None = None
        self.passwords: dict[str, str] = {}
        self.token = ""

    def hindsight(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "hindsight.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise RuntimeError(f"hindsight {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def start(self) -> None:
        self.hindsight("migrate")
        # "  alice (member): password XYZ" — the only time the demo shows them.
        demo = self.hindsight("demo")
        self.passwords = dict(re.findall(r"^\s+(\S+) \(\w+\): password (\S+)$", demo, re.M))
        if USER not in self.passwords:
            raise RuntimeError(f"no password for {USER} in `hindsight demo`'s output:\n{demo}")
        self.token = self.hindsight("token", "new", USER, "--label", "screenshots").strip()
        port = self.url.rsplit(":", 1)[1]
        log = (self.data_dir / "server.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hindsight.cli", "serve", "--host", "127.0.0.1"]
            + ["--port", port],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until_healthy()

    def _wait_until_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/api/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the server did not answer /api/health in {timeout} s:\n{self.log()}")

    def log(self) -> str:
        path = self.data_dir / "server.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def api(self, path: str) -> dict:
        request = urllib.request.Request(
            self.url + path, headers={"Authorization": f"Bearer {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # Its own session, so the signal reaches the workers and nothing else.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def postmortems(server: Server, query: str = "") -> list[dict]:
    """Every post-mortem alice may read (newest first), following the cursor."""
    found, cursor = [], None
    while True:
        page = server.api(
            f"/api/postmortems?limit=100{query}" + (f"&cursor={quote(cursor)}" if cursor else "")
        )
        found += page["items"]
        cursor = page.get("nextCursor")
        if not cursor:
            return found


def choose(server: Server) -> dict[str, str]:
    """The post-mortem ids the screenshots show."""
    every = postmortems(server)
    by_incident = {pm["incidentId"]: pm["id"] for pm in every}
    # The first report, in the list's order, whose best match is a possible recurrence.
    recurring = next(
        (
            pm["id"]
            for pm in every
            if (items := server.api(f"/api/postmortems/{pm['id']}/related")["items"])
            and items[0]["possibleRecurrence"]
        ),
        None,
    )
    if recurring is None:
        raise RuntimeError("no demo post-mortem shows a possible recurrence")
    # Alice's draft with the longest checklist, so the picture shows several checks.
    drafts = postmortems(server, f"&status=DRAFT&createdBy={USER}")
    linted = max(
        drafts, key=lambda pm: len(server.api(f"/api/postmortems/{pm['id']}/lint")["findings"])
    )
    return {
        "edited": by_incident[EDITED_INCIDENT],
        "report": by_incident[REPORT_INCIDENT],
        "recurring": recurring,
        "linted": linted["id"],
    }


def open_page(page, path: str) -> None:
    """Go to PATH and wait until its htmx panels and images have loaded."""
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.wait_for_function(f"() => !document.querySelector({json.dumps(PENDING_PANELS)})")
    page.wait_for_function("() => [...document.images].every(image => image.complete)")
    page.wait_for_load_state("networkidle")


def shoot_region(page, first: str, last: str, path: Path, margin: int = 10) -> None:
    """A full-width crop of the page from element FIRST's top to element LAST's bottom.
    The margin stays under the gap above the recurrence banner, so no sliver of the
    export toolbar shows."""
    top, bottom = page.evaluate(
        """([first, last]) => [first, last].map(selector => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return {top: box.top + window.scrollY, bottom: box.bottom + window.scrollY};
        })""",
        [first, last],
    )
    y = max(0, top["top"] - margin)
    clip = {"x": 0, "y": y, "width": DESKTOP["width"], "height": bottom["bottom"] + margin - y}
    page.screenshot(path=str(path), clip=clip, full_page=True)


def take(server: Server, browser, out: Path) -> None:
    ids = choose(server)

    def new_page(viewport: dict):
        context = browser.new_context(base_url=server.url, viewport=viewport)
        context.set_default_timeout(20_000)
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("User name").fill(USER)
        page.get_by_label("Password").fill(server.passwords[USER])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/")
        return page

    page = new_page(DESKTOP)
    shots = [
        ("screenshot-home.png", "/", "viewport"),
        ("screenshot-list.png", "/postmortems?q=pool", "viewport"),
        ("screenshot-edit.png", f"/postmortems/{ids['edited']}/edit", "viewport"),
        ("screenshot-timeline.png", f"/postmortems/{ids['edited']}/edit", "#timeline"),
        ("screenshot-report.png", f"/postmortems/{ids['report']}", "full"),
        ("screenshot-action-items.png", "/action-items", "viewport"),
        ("screenshot-history.png", f"/postmortems/{ids['report']}/history", "viewport"),
        ("screenshot-incident.png", f"/incidents/{SHOWN_INCIDENT}", "viewport"),
        ("screenshot-insights.png", "/insights", "full"),
        ("screenshot-lint.png", f"/postmortems/{ids['linted']}", ".lint-checklist"),
    ]
    for name, path, what in shots:
        open_page(page, path)
        if what == "viewport":
            page.screenshot(path=str(out / name))
        elif what == "full":
            page.screenshot(path=str(out / name), full_page=True)
        else:
            page.locator(what).screenshot(path=str(out / name))
        print(out / name)

    open_page(page, f"/postmortems/{ids['recurring']}")
    shoot_region(page, ".recurrence-note", "section.related", out / "screenshot-related.png")
    print(out / "screenshot-related.png")
    page.context.close()

    phone = new_page(PHONE)
    open_page(phone, f"/postmortems/{ids['report']}")
    phone.screenshot(path=str(out / "screenshot-phone-report.png"))
    print(out / "screenshot-phone-report.png")
    phone.context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"), help="where to write the PNGs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    server = Server()
    try:
        server.start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            try:
                take(server, browser, args.out)
            finally:
                browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
