"""Browser tests: Playwright's sync API driving Debian's Chromium against a real
`hindsight serve` process (tests/live.py), never a server inside the test process."""

import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "a long enough password"  # what LiveServer.user_with_token gives every user
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists() and shutil.which(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


class Site:
    """The live server, its users' API tokens, and helpers to drive it."""

    def __init__(self, server, browser):
        self.server = server
        self.browser = browser
        self.url = server.url
        self.tokens = self._users("alice", "bob")

    def _users(self, *names: str) -> dict[str, str]:
        """Create members NAMES with PASSWORD and an API token each, in one CLI process."""
        code = (
            "from hindsight.accounts.services import create_user, create_token\n"
            f"for name in {list(names)!r}:\n"
            f"    user = create_user(name, password={PASSWORD!r}, email=name + '@example.com')\n"
            "    print(name, create_token(user, label='browser tests')[1])\n"
        )
        output = self.server.hindsight("manage", "shell", "-c", code).stdout
        pairs = [line.split() for line in output.splitlines()]
        return {p[0]: p[1] for p in pairs if len(p) == 2 and p[1].startswith("hs_")}

    def page(
        self,
        user: str | None = None,
        *,
        width: int = 1280,
        height: int = 900,
        bypass_csp: bool = False,
    ):
        context = self.browser.new_context(
            base_url=self.url, viewport={"width": width, "height": height}, bypass_csp=bypass_csp
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        if user:
            self.sign_in(page, user)
        return page

    @staticmethod
    def sign_in(page, user: str) -> None:
        page.goto("/login")
        page.get_by_label("User name").fill(user)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/")

    def api(self, method: str, path: str, user: str, body=None) -> dict:
        status, _, data = self.server.request(method, path, token=self.tokens[user], body=body)
        assert status < 300, (status, data)
        return data

    def incident(self, title: str, **fields) -> str:
        body = {"title": title, "startedAt": "2026-03-01T14:30:00Z", **fields}
        return self.api("POST", "/api/incidents", "alice", body)["id"]


def assert_accessible(page, what: str = "") -> None:
    """axe-core (shipped by axe-playwright-python) over the page as it is now, every rule
    on: no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{what or page.url}:\n" + "\n".join(bad)


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def site(browser):
    from tests.live import LiveServer

    server = LiveServer().start()
    try:
        yield Site(server, browser)
    finally:
        server.stop()
