"""The quality lint: every rule against the examples docs/lint.md gives for it (one that
triggers it, one that does not), the API, HINDSIGHT_LINT_BLOCK and `hindsight lint`."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from hindsight.postmortems import lint

DOCS = Path(__file__).resolve().parents[1] / "docs" / "lint.md"

# A report that triggers no rule: each example is laid over it.
CLEAN = {
    "title": "Checkout errors during a traffic spike",
    "summary": "For 15 minutes checkout returned errors because the connection pool ran out.",
    "impact": "About 1,200 users could not check out.",
    "rootCause": "The pool was sized for average load; a campaign tripled traffic.",
    "timeline": [
        {
            "time": "2026-03-01T14:05:00Z",
            "at": "2026-03-01T14:05:00Z",
            "description": "Latency alert paged the on-call",
            "kind": "DETECTION",
        },
        {
            "time": "2026-03-01T14:30:00Z",
            "at": "2026-03-01T14:30:00Z",
            "description": "Pool size raised",
            "kind": "MITIGATION",
        },
        {
            "time": "2026-03-01T14:50:00Z",
            "at": "2026-03-01T14:50:00Z",
            "description": "Service restored",
            "kind": "RESOLUTION",
        },
    ],
    "actionItems": [
        {
            "description": "Alert when the connection pool is 80 % used",
            "owner": "platform@example.com",
            "status": "TODO",
            "dueDate": "2026-04-01",
        }
    ],
    "contributingFactors": [{"factor": "No alert on pool usage"}],
    "contributors": ["alice@example.com"],
}


def documented_examples() -> list[tuple[str, str, dict, dict]]:
    """(rule, severity, triggering example, quiet example) for each rule in docs/lint.md."""
    text = DOCS.read_text()
    found = []
    for match in re.finditer(r"^### (\S+) \((\w+)\)\n(.*?)(?=^### |^## |\Z)", text, re.M | re.S):
        rule, severity, body = match.groups()
        examples = re.findall(r"```json\n(.*?)\n```", body, re.S)
        assert len(examples) == 2, f"{rule}: docs/lint.md needs two examples"
        found.append((rule, severity, json.loads(examples[0]), json.loads(examples[1])))
    return found


def test_the_clean_report_has_no_finding():
    assert lint.check(CLEAN) == []


def test_docs_document_every_rule_with_its_severity():
    documented = {rule: severity for rule, severity, _, _ in documented_examples()}
    assert documented == lint.RULES


@pytest.mark.parametrize(
    ("rule", "severity", "triggers", "quiet"),
    documented_examples(),
    ids=[example[0] for example in documented_examples()],
)
def test_each_rule_against_its_documented_examples(rule, severity, triggers, quiet):
    found = lint.check({**CLEAN, **triggers})
    assert rule in {f.rule for f in found}, found
    finding = next(f for f in found if f.rule == rule)
    assert finding.severity == severity and finding.message and finding.hint and finding.field
    assert rule not in {f.rule for f in lint.check({**CLEAN, **quiet})}


@pytest.mark.parametrize(
    "text",
    [
        "Alice should have checked the dashboard.",
        "The on-call engineer failed to escalate.",
        "Someone forgot to renew the certificate.",
        "He didn't read the runbook.",
        "It was the fault of the release manager.",
        "A careless change broke the config.",
        "They did not check whether the flag was on.",
    ],
)
def test_blame_is_found(text):
    found = lint.check({**CLEAN, "rootCause": text}, names=["alice"])
    assert [f.field for f in found if f.rule == "blame-language"] == ["rootCause"]


@pytest.mark.parametrize(
    "text",
    [
        "The job failed to start after the deploy.",
        "The alert didn't fire because its threshold was never reached.",
        "The runbook should have covered failover but had not been updated since 2021.",
        "Alerting on the pool failed to page anyone.",
        # A condition says what a case required, not whose fault it was.
        "Customers removed the SDK if they did not know that disabling capture was enough.",
        "Requests were retried unless they failed to parse.",
    ],
)
def test_systems_failing_is_no_blame(text):
    assert not [f for f in lint.check({**CLEAN, "rootCause": text}) if f.rule == "blame-language"]


def test_an_owner_named_in_the_report_counts_as_a_person():
    report = {**CLEAN, "summary": "Bob forgot to roll back.", "contributors": ["bob@example.com"]}
    assert "blame-language" in {f.rule for f in lint.check(report)}


def test_unconfirmed_template_content_is_an_error():
    items = [{**CLEAN["actionItems"][0], "unconfirmed": True}]
    found = lint.check({**CLEAN, "actionItems": items})
    assert [(f.rule, f.field) for f in found] == [("template-text-left", "actionItems[0]")]


def test_the_thresholds_are_settings():
    long_gap = {**CLEAN, "timeline": [CLEAN["timeline"][0], CLEAN["timeline"][2]]}  # 45 min
    assert "timeline-gap" in {f.rule for f in lint.check(long_gap)}
    with override_settings(LINT_TIMELINE_GAP_MINUTES=60):
        assert "timeline-gap" not in {f.rule for f in lint.check(long_gap)}
    with override_settings(LINT_SUMMARY_WORDS=5):
        assert "summary-too-long" in {f.rule for f in lint.check(CLEAN)}


def test_errors_come_first():
    report = {**CLEAN, "summary": "Human error.", "impact": "Bad.", "rootCause": ""}
    severities = [f.severity for f in lint.check(report)]
    assert severities == sorted(severities, key=lint.SEVERITIES.index)
    assert severities[0] == "error"


# The API ---------------------------------------------------------------------------------


def test_the_api_answers_the_findings(api_for, alice, postmortem):
    response = api_for(alice).get(f"/api/postmortems/{postmortem['id']}/lint")
    assert response.status_code == 200, response.content
    findings = response.json()["findings"]
    assert {"rule", "severity", "message", "field", "hint"} == set(findings[0])
    rules = {f["rule"] for f in findings}
    # The seed report has no contributing factors and items without due dates.
    assert "no-contributing-factors" in rules and "item-without-due-date" in rules


def test_a_user_name_in_the_text_counts_as_blame(api_for, alice, make_user, postmortem):
    make_user("dmitri")
    api = api_for(alice)
    response = api.patch(
        f"/api/postmortems/{postmortem['id']}",
        {"rootCause": "Dmitri should have raised the pool size."},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.content
    findings = api.get(f"/api/postmortems/{postmortem['id']}/lint").json()["findings"]
    assert [f["field"] for f in findings if f["rule"] == "blame-language"] == ["rootCause"]


def test_others_drafts_are_not_linted(api_for, carol, postmortem):
    assert api_for(carol).get(f"/api/postmortems/{postmortem['id']}/lint").status_code == 404


@pytest.fixture
def blaming(api_for, alice, postmortem):
    api = api_for(alice)
    response = api.patch(
        f"/api/postmortems/{postmortem['id']}",
        {"summary": "The engineer forgot to raise the pool size."},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.content
    return api, postmortem["id"]


@override_settings(LINT_BLOCK="error")
def test_lint_errors_refuse_submit_when_blocking(blaming):
    api, pm_id = blaming
    response = api.patch(f"/api/postmortems/{pm_id}", {"status": "IN_REVIEW"})
    assert response.status_code == 409, response.content
    body = response.json()
    assert "lint error" in body["message"]
    assert "blame-language" in {f["rule"] for f in body["findings"]}
    after = api.get(f"/api/postmortems/{pm_id}").json()
    assert after["status"] == "DRAFT" and after["version"] == 2


def test_lint_errors_do_not_block_by_default(blaming):
    api, pm_id = blaming
    response = api.patch(f"/api/postmortems/{pm_id}", {"status": "IN_REVIEW"})
    assert response.status_code == 200, response.content


@override_settings(LINT_BLOCK="error")
def test_a_fixed_report_goes_into_review_when_blocking(blaming):
    api, pm_id = blaming
    response = api.patch(
        f"/api/postmortems/{pm_id}",
        {"status": "IN_REVIEW", "summary": "The pool size was never raised for the campaign."},
    )
    assert response.status_code == 200, response.content


@override_settings(LINT_BLOCK="error")
def test_a_create_into_review_with_errors_is_refused_and_nothing_written(
    api_for, alice, incident, seed_body
):
    from hindsight.postmortems.models import PostMortem

    body = {
        **seed_body,
        "incidentId": incident.id,
        "status": "IN_REVIEW",
        "summary": "Human error.",
    }
    response = api_for(alice).post("/api/postmortems", body)
    assert response.status_code == 409, response.content
    assert response.json()["findings"]
    assert not PostMortem.objects.exists()


# The command -----------------------------------------------------------------------------

CLEAN_MARKDOWN = """\
# Checkout errors during a traffic spike

## Summary

For 15 minutes checkout returned errors because the connection pool ran out.

## Impact

About 1,200 users could not check out.

## Root Cause

The pool was sized for average load; a campaign tripled traffic.

## Contributing Factors

- No alert on pool usage

## Timeline

- 2026-03-01T14:05:00Z - Latency alert paged the on-call
- 2026-03-01T14:30:00Z - Pool size raised
- 2026-03-01T14:50:00Z - Service restored

## Action Items

- [ ] Alert when the connection pool is 80 % used (HIGH) — owner: platform@example.com · due: 2026-04-01
"""


def run_lint(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hindsight.cli", "lint", *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HINDSIGHT_DATA_DIR": "/nonexistent/no-database-here"},
    )


def test_the_command_passes_a_clean_file_without_a_database(tmp_path):
    path = tmp_path / "clean.md"
    path.write_text(CLEAN_MARKDOWN)
    result = run_lint(str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_the_command_prints_file_line_severity_rule_and_exits_1_on_errors(tmp_path):
    path = tmp_path / "blame.md"
    path.write_text(
        CLEAN_MARKDOWN.replace("## Impact", "The engineer forgot to scale it.\n\n## Impact")
    )
    result = run_lint(str(path))
    assert result.returncode == 1, result.stderr
    assert f"{path}:7: error blame-language: “The engineer forgot to”" in result.stdout


def test_the_command_exits_0_on_warnings_only(tmp_path):
    path = tmp_path / "warn.md"
    path.write_text(CLEAN_MARKDOWN.replace(" — owner: platform@example.com", ""))
    result = run_lint(str(path))
    assert result.returncode == 0, result.stderr
    assert "warning item-without-owner" in result.stdout


def test_an_unreadable_file_wins_over_errors(tmp_path):
    blame = tmp_path / "blame.md"
    blame.write_text("# T\n\n## Summary\n\nHuman error.\n")
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"\xff\xfe\x00")
    result = run_lint(str(blame), str(binary), str(tmp_path / "missing.md"))
    assert result.returncode == 2
    assert "binary.md: cannot be read: not UTF-8" in result.stderr
    assert "missing.md: cannot be read" in result.stderr
    assert "error blame-language" in result.stdout


def test_the_command_answers_json(tmp_path):
    path = tmp_path / "blame.md"
    path.write_text(CLEAN_MARKDOWN.replace("## Impact", "Human error.\n\n## Impact"))
    result = run_lint("--format", "json", str(path))
    assert result.returncode == 1
    findings = json.loads(result.stdout)
    blame = next(f for f in findings if f["rule"] == "blame-language")
    assert blame["file"] == str(path) and blame["line"] == 7 and blame["severity"] == "error"
