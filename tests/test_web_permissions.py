"""The web app shows and changes only what the services allow: others' drafts are 404,
viewers cannot write, and a published report keeps its text."""

import pytest

from hindsight.postmortems.models import PostMortem


@pytest.fixture
def draft(postmortem, bob):
    """alice's seed post-mortem with bob no longer a contributor: private to alice."""
    from hindsight.accounts.models import User
    from hindsight.postmortems.services import update_postmortem

    update_postmortem(postmortem["id"], {"contributors": []}, by=User.objects.get(username="alice"))
    return postmortem["id"]


def test_someone_elses_draft_is_not_found_on_every_page(client, draft, bob):
    client.force_login(bob)
    for path in (f"/postmortems/{draft}", f"/postmortems/{draft}/edit"):
        assert client.get(path).status_code == 404, path
    for path in (
        f"/postmortems/{draft}/edit",
        f"/postmortems/{draft}/status",
        f"/postmortems/{draft}/timeline",
        f"/postmortems/{draft}/action-items",
        f"/postmortems/{draft}/delete",
    ):
        assert client.post(path, {"to": "IN_REVIEW", "time": "14:00"}).status_code == 404, path
    assert PostMortem.objects.get(pk=draft).version == 2


def test_someone_elses_draft_is_missing_from_lists(client, draft, bob):
    client.force_login(bob)
    assert "Database Connection Pool Exhaustion" not in client.get("/postmortems").content.decode()
    assert "Database Connection Pool Exhaustion" not in client.get("/").content.decode()
    assert (
        "Database Connection Pool Exhaustion"
        not in client.get("/incidents/inc_123").content.decode()
    )


def test_an_action_item_of_a_hidden_draft_is_not_found(client, draft, bob):
    client.force_login(bob)
    item = PostMortem.objects.get(pk=draft).action_item_list[0]
    response = client.post(f"/action-items/{item.id}/status", {"status": "DONE"})
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.status == "TODO"


def test_a_viewer_reads_published_reports_but_cannot_edit(client, postmortem, alice, carol):
    from hindsight.postmortems.services import update_postmortem

    update_postmortem(postmortem["id"], {"status": "IN_REVIEW"}, by=alice)
    update_postmortem(postmortem["id"], {"status": "PUBLISHED"}, by=alice)
    client.force_login(carol)
    report = client.get(f"/postmortems/{postmortem['id']}")
    assert report.status_code == 200
    assert (
        "Only the author, a contributor or an admin can change the status"
        in report.content.decode()
    )
    assert client.get(f"/postmortems/{postmortem['id']}/edit").status_code == 403
    response = client.post(f"/postmortems/{postmortem['id']}/status", {"to": "ARCHIVED"})
    assert response.status_code == 302
    assert PostMortem.objects.get(pk=postmortem["id"]).status == "PUBLISHED"
    assert client.post("/incidents/new", {"title": "x"}).status_code == 403


def test_a_published_report_refuses_a_summary_edit_with_a_clear_message(client, postmortem, alice):
    from hindsight.postmortems.services import update_postmortem

    update_postmortem(postmortem["id"], {"status": "IN_REVIEW"}, by=alice)
    published = update_postmortem(postmortem["id"], {"status": "PUBLISHED"}, by=alice)
    client.force_login(alice)
    page = client.get(f"/postmortems/{postmortem['id']}/edit").content.decode()
    assert "locked" in page
    response = client.post(
        f"/postmortems/{postmortem['id']}/edit",
        {"version": published.version, "title": published.title, "summary": "Rewritten"},
    )
    assert response.status_code == 409
    assert "published and locked" in response.content.decode()
    assert PostMortem.objects.get(pk=postmortem["id"]).summary == published.summary
    # The follow-through stays open.
    item = published.action_item_list[0]
    client.post(f"/action-items/{item.id}/status", {"status": "DONE"})
    item.refresh_from_db()
    assert item.status == "DONE"


def test_refused_workflow_moves_say_why(client, postmortem, alice):
    from hindsight.postmortems.models import ActionItem
    from hindsight.postmortems.services import update_postmortem

    update_postmortem(postmortem["id"], {"status": "IN_REVIEW"}, by=alice)
    update_postmortem(postmortem["id"], {"status": "PUBLISHED"}, by=alice)
    client.force_login(alice)
    page = client.get(f"/postmortems/{postmortem['id']}").content.decode()
    response = client.post(
        f"/postmortems/{postmortem['id']}/status", {"to": "ARCHIVED"}, follow=True
    )
    items = ActionItem.objects.filter(postmortem_id=postmortem["id"]).order_by("position")
    # Said in words: how many wait, and each one's description as a link to its row.
    for html in (page, response.content.decode()):
        refused = html.split("Archiving waits for 3 open action items:")[1].split("</ul>")[0]
        for item in items:
            assert f'<a href="#item-{item.id}">{item.description}</a>' in refused
            assert f'id="item-{item.id}"' in html


def test_tokens_of_others_cannot_be_revoked(client, alice, bob):
    from hindsight.accounts.services import create_token

    token, _ = create_token(alice, label="ci")
    client.force_login(bob)
    client.post(f"/account/tokens/{token.id}/revoke")
    token.refresh_from_db()
    assert token.revoked_at is None
