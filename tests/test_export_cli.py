"""`hindsight export ID --format …` and `hindsight export --all DIR`, run in-process against
the test database."""

import json

import pytest

from hindsight.cli import main


@pytest.fixture
def dave(make_user):
    return make_user("dave")


@pytest.fixture
def reports(alice, bob, carol, dave, incident, api_for, seed_body, postmortem):
    """alice's draft (naming bob), dave's private draft, and dave's report in review."""
    private = api_for(dave).post(
        "/api/postmortems", {**seed_body, "title": "Dave's private draft", "contributors": []}
    )
    review = api_for(dave).post(
        "/api/postmortems",
        {**seed_body, "title": "In review", "contributors": [], "status": "IN_REVIEW"},
    )
    assert private.status_code == review.status_code == 201
    return {"alice": postmortem, "private": private.json(), "review": review.json()}


@pytest.mark.parametrize(
    ("fmt", "start"),
    [
        ("markdown", b"\n# Database Connection Pool Exhaustion\n"),
        ("html", b"<!DOCTYPE html>"),
        ("pdf", b"%PDF-"),
        ("json", b"{"),
    ],
)
def test_export_writes_one_report_in_each_format(alice, postmortem, tmp_path, fmt, start):
    target = tmp_path / f"out.{fmt}"
    assert main(["export", postmortem["id"], "--format", fmt, "-o", str(target)]) == 0
    content = target.read_bytes()
    assert content.startswith(start) if fmt != "markdown" else start in b"\n" + content


def test_json_export_to_stdout_is_the_api_record(alice, api_for, postmortem, capsysbinary):
    assert main(["export", postmortem["id"], "--format", "json", "--as", "alice"]) == 0
    printed = json.loads(capsysbinary.readouterr().out)
    assert printed == api_for(alice).get(f"/api/postmortems/{postmortem['id']}").json()


def test_markdown_stays_the_default(alice, postmortem, capsysbinary):
    assert main(["export", postmortem["id"]]) == 0
    printed = b"\n" + capsysbinary.readouterr().out
    assert b"\n# Database Connection Pool Exhaustion\n" in printed
    assert b"\n## Timeline\n" in printed


def test_export_all_writes_a_file_for_every_report_the_user_may_see(reports, tmp_path, capsys):
    ids = {name: pm["id"] for name, pm in reports.items()}
    for user, expected in (
        ("carol", {"review"}),  # a viewer sees no drafts
        ("alice", {"alice", "review"}),  # her own draft, not dave's
        ("dave", {"private", "review"}),
        ("bob", {"alice", "review"}),  # named as contributor on alice's
        (None, {"alice", "private", "review"}),  # the operator sees everything
    ):
        directory = tmp_path / (user or "operator")
        argv = ["export", "--all", str(directory)] + (["--as", user] if user else [])
        assert main(argv) == 0
        written = sorted(p.name for p in directory.iterdir())
        assert written == sorted(f"{ids[name]}.md" for name in expected), user
        err = capsys.readouterr().err
        assert f"{len(expected)}/{len(expected)}" in err  # the progress bar, finished
        assert f"Wrote {len(expected)} post-mortem" in err
    text = (tmp_path / "carol" / f"{ids['review']}.md").read_text()
    assert "\n# In review\n" in "\n" + text


def test_export_all_in_another_format(reports, tmp_path):
    directory = tmp_path / "html" / "nested"
    assert main(["export", "--all", str(directory), "--as", "carol", "--format", "html"]) == 0
    (page,) = directory.iterdir()
    assert page.name == f"{reports['review']['id']}.html"
    assert "<h1>In review</h1>" in page.read_text()


def test_export_all_with_nothing_visible_writes_nothing(carol, tmp_path, capsys):
    assert main(["export", "--all", str(tmp_path / "none"), "--as", "carol"]) == 0
    assert list((tmp_path / "none").iterdir()) == []
    assert "Wrote 0 post-mortems" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["export"],
        ["export", "pm_x", "--all", "DIR"],
        ["export", "--all", "DIR", "-o", "file.md"],
    ],
)
def test_export_needs_exactly_one_of_id_and_all(db, argv, capsys):
    assert main(argv) == 2
    assert "hindsight:" in capsys.readouterr().err


def test_an_unknown_format_is_refused_naming_the_allowed_ones(db, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["export", "pm_x", "--format", "docx"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "docx" in err and "markdown" in err and "pdf" in err


def test_export_all_refuses_a_file_as_directory(alice, tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("keep me")
    assert main(["export", "--all", str(target)]) == 2
    assert target.read_text() == "keep me"
