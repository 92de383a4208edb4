"""The layers hold (STYLE.md "Imports"): hindsight.* is imported at module top, so a cycle
cannot hide in a function, except where ALLOWED says why; lib knows no app; and the lower
layers reach the higher ones only through the hooks those fill in AppConfig.ready.

The import contracts between packages are pyproject.toml's [tool.importlinter]
(`lint-imports`); this file keeps the function-level imports that tool cannot see as such.
"""

import ast
from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings

from hindsight.accounts.models import Role, User
from hindsight.incidents import signals as incident_signals
from hindsight.lib import events
from hindsight.lib.errors import Conflict
from hindsight.notifications.services import record_events
from hindsight.postmortems import services, workflow
from hindsight.postmortems.models import PostMortem, Status
from hindsight.reviews.models import approvers

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "hindsight"

SETUP_FIRST = "a command's code: app modules load only after django.setup()"
APP_READY = "AppConfig.ready: models load only once the app registry is ready"

# (file under src/hindsight, module it imports inside a function): why it may.
ALLOWED: dict[tuple[str, str], str] = {
    ("cli.py", "hindsight.accounts.models"): SETUP_FIRST,
    ("cli.py", "hindsight.accounts.services"): SETUP_FIRST,
    ("cli.py", "hindsight.demo"): SETUP_FIRST,
    ("cli.py", "hindsight.lib.backup"): SETUP_FIRST,
    ("cli.py", "hindsight.lib.migrate"): SETUP_FIRST,
    ("cli.py", "hindsight.lib.server"): SETUP_FIRST,
    ("cli.py", "hindsight.notifications.conf"): SETUP_FIRST,
    ("cli.py", "hindsight.notifications.worker"): SETUP_FIRST,
    ("cli.py", "hindsight.postmortems.document"): SETUP_FIRST,
    ("cli.py", "hindsight.postmortems.export_formats"): SETUP_FIRST,
    ("cli.py", "hindsight.postmortems.lint"): SETUP_FIRST,
    ("cli.py", "hindsight.postmortems.markdown.importer"): SETUP_FIRST,
    ("cli.py", "hindsight.postmortems.models"): SETUP_FIRST,
    ("cli.py", "hindsight.postmortems.services"): SETUP_FIRST,
    ("notifications/apps.py", "hindsight.notifications.services"): APP_READY,
    ("postmortems/apps.py", "hindsight.postmortems.document"): APP_READY,
    ("reviews/apps.py", "hindsight.postmortems.history"): APP_READY,
    ("postmortems/apps.py", "hindsight.postmortems.services"): APP_READY,
    ("reviews/apps.py", "hindsight.postmortems.workflow"): APP_READY,
    ("reviews/apps.py", "hindsight.reviews.models"): APP_READY,
    ("reviews/apps.py", "hindsight.reviews.services"): APP_READY,
}


def _is_module(name: str) -> bool:
    path = SRC.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imported(node: ast.Import | ast.ImportFrom, path: Path) -> list[str]:
    """The modules NODE imports, absolute; `from pkg import mod` names pkg.mod."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        package = path.relative_to(SRC).with_suffix("").parts
        if path.name != "__init__.py":
            package = package[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join([*package, *([node.module] if node.module else [])])
    else:
        base = node.module or ""
    return [
        f"{base}.{alias.name}" if _is_module(f"{base}.{alias.name}") else base
        for alias in node.names
    ]


def _imports(path: Path, *, in_functions: bool) -> set[str]:
    """The hindsight.* modules PATH imports: inside functions only, or anywhere."""
    found: set[str] = set()

    def walk(node: ast.AST, inside: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom) and (inside or not in_functions):
                found.update(
                    m
                    for m in _imported(child, path)
                    if m == "hindsight" or m.startswith("hindsight.")
                )
            walk(child, inside or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))

    walk(ast.parse(path.read_text(), filename=str(path)), False)
    return found


def _sources(under: Path = PACKAGE) -> list[Path]:
    return sorted(p for p in under.rglob("*.py") if "migrations" not in p.parts)


def function_level_imports() -> set[tuple[str, str]]:
    return {
        (path.relative_to(PACKAGE).as_posix(), module)
        for path in _sources()
        for module in _imports(path, in_functions=True)
    }


def test_hindsight_is_imported_at_module_top_unless_the_allowlist_says_why():
    unlisted = sorted(function_level_imports() - ALLOWED.keys())
    assert not unlisted, (
        "function-level imports of hindsight.* hide a cycle; fix the layering or, for a"
        f" command that must run django.setup() first, list them in ALLOWED: {unlisted}"
    )


def test_the_allowlist_names_only_imports_that_still_exist():
    gone = sorted(ALLOWED.keys() - function_level_imports())
    assert not gone, f"these are no longer imported inside a function; drop them: {gone}"


def test_lib_imports_no_app():
    outside = {
        (path.relative_to(PACKAGE).as_posix(), module)
        for path in _sources(PACKAGE / "lib")
        for module in _imports(path, in_functions=False)
        if not module.startswith("hindsight.lib")
    }
    assert outside == set(), sorted(outside)
    assert not _imports(PACKAGE / "lib" / "events.py", in_functions=False)


# The hooks -------------------------------------------------------------------------------


def test_notifications_subscribes_its_outbox_to_the_domain_events():
    assert record_events in events._handlers


def test_notify_calls_each_handler_once_in_the_callers_transaction(monkeypatch, db):
    monkeypatch.setattr(events, "_handlers", [])
    calls = []

    def handler(batch):
        for event, data in batch:
            calls.append((event, data, transaction.get_connection().in_atomic_block))

    events.subscribe(handler)
    events.subscribe(handler)
    with transaction.atomic():
        events.notify("postmortem.published", postmortem_id="pm_1", by="alice")
    assert calls == [("postmortem.published", {"postmortem_id": "pm_1", "by": "alice"}, True)]


def test_postmortems_follow_a_changed_incident_and_say_who_wrote_about_it():
    receivers = [entry[1]() for entry in incident_signals.incident_changed.receivers]
    assert services.follow_incident in receivers
    assert services.reports_about_incident in incident_signals._finders


def test_reviews_tells_the_workflow_who_approved():
    assert workflow._approvers is approvers


@override_settings(REQUIRED_APPROVALS=1)
def test_without_a_review_app_no_one_has_approved_so_required_approvals_block_publishing(
    monkeypatch,
):
    monkeypatch.setattr(workflow, "_approvers", workflow._no_approvals_system)
    report, operator = PostMortem(status=Status.IN_REVIEW), User(role=Role.ADMIN)
    assert workflow.approvers(report) == []
    with pytest.raises(Conflict) as refused:
        workflow.check_move(report, Status.PUBLISHED, operator, action_items=[], timeline=[])
    assert refused.value.extra["approvals"] == []
    with override_settings(REQUIRED_APPROVALS=0):
        workflow.check_move(report, Status.PUBLISHED, operator, action_items=[], timeline=[])
