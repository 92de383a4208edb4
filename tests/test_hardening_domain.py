"""Hardening found by a probe (issue 9, section 4), the domain's part: drafts kept out of
shared notification channels, templates that cannot plant readers, one user per name or
email, incidents that change their reports visibly, and approvals of a version."""

import pytest
from django.test import override_settings

from hindsight.postmortems.models import PostMortem, Template


@pytest.fixture
def dave(make_user):
    """A member with no part in the seed post-mortem."""
    return make_user("dave")


def url(pm, tail=""):
    return f"/api/postmortems/{pm['id']}{tail}"


@pytest.fixture
def in_review(alice, api_for, postmortem):
    response = api_for(alice).patch(url(postmortem), {"status": "IN_REVIEW"})
    assert response.status_code == 200, response.content
    return response.json()


# Approvals are of a version ---------------------------------------------------------------


@override_settings(REQUIRED_APPROVALS=1)
def test_an_approval_no_longer_counts_once_the_text_is_rewritten(alice, dave, api_for, in_review):
    api = api_for(alice)
    assert (
        api_for(dave).post(url(in_review, "/reviews"), {"decision": "APPROVED"}).status_code == 201
    )
    rewritten = api.patch(url(in_review), {"title": "Another story", "summary": "Rewritten."})
    assert rewritten.status_code == 200, rewritten.content
    assert api.get(url(in_review, "/reviews")).json()["approvals"] == []
    refused = api.patch(url(in_review), {"status": "PUBLISHED"})
    assert refused.status_code == 409
    assert "waits for 1 approval in this review round; it has none yet" in refused.json()["message"]
    assert PostMortem.objects.get(pk=in_review["id"]).status == "IN_REVIEW"
    # Approving the version as it now stands lets it be published.
    assert (
        api_for(dave).post(url(in_review, "/reviews"), {"decision": "APPROVED"}).status_code == 201
    )
    assert api.patch(url(in_review), {"status": "PUBLISHED"}).status_code == 200


@override_settings(REQUIRED_APPROVALS=1)
def test_text_changed_in_the_publishing_request_itself_needs_approval_again(
    alice, dave, api_for, in_review
):
    api_for(dave).post(url(in_review, "/reviews"), {"decision": "APPROVED"})
    refused = api_for(alice).patch(url(in_review), {"status": "PUBLISHED", "title": "Sneaked in"})
    assert refused.status_code == 409
    stored = PostMortem.objects.get(pk=in_review["id"])
    assert (stored.status, stored.title) == ("IN_REVIEW", in_review["title"])


@override_settings(REQUIRED_APPROVALS=1)
def test_follow_through_after_an_approval_keeps_it(alice, dave, api_for, in_review):
    api = api_for(alice)
    api_for(dave).post(url(in_review, "/reviews"), {"decision": "APPROVED"})
    items = [dict(i, status="DONE", owner="bob@example.com") for i in in_review["actionItems"]]
    assert api.patch(url(in_review), {"actionItems": items}).status_code == 200
    assert api.get(url(in_review, "/reviews")).json()["approvals"] == ["dave"]
    assert api.patch(url(in_review), {"status": "PUBLISHED"}).status_code == 200


@override_settings(REQUIRED_APPROVALS=1)
def test_changing_an_action_items_description_needs_approval_again(alice, dave, api_for, in_review):
    api = api_for(alice)
    api_for(dave).post(url(in_review, "/reviews"), {"decision": "APPROVED"})
    items = list(in_review["actionItems"])
    items[0] = dict(items[0], description="Something else entirely")
    assert api.patch(url(in_review), {"actionItems": items}).status_code == 200
    assert api.patch(url(in_review), {"status": "PUBLISHED"}).status_code == 409


def test_the_migration_finds_the_last_text_change_in_the_history(alice, api_for, in_review):
    import importlib

    from django.apps import apps

    fill = importlib.import_module(
        "hindsight.postmortems.migrations.0008_text_version"
    ).fill_text_version
    api = api_for(alice)
    assert api.patch(url(in_review), {"summary": "Rewritten."}).json()["version"] == 3
    items = [dict(i, status="DONE") for i in in_review["actionItems"]]
    assert api.patch(url(in_review), {"actionItems": items}).json()["version"] == 4
    assert PostMortem.objects.get(pk=in_review["id"]).text_version == 3

    PostMortem.objects.update(text_version=1)
    fill(apps, None)
    assert PostMortem.objects.get(pk=in_review["id"]).text_version == 3


# A template cannot plant a reader -------------------------------------------------------


PLANTED = {
    "contributors": {"contributors": ["dave"]},
    "owner": {"actionItems": [{"description": "Rotate the keys", "owner": "dave"}]},
}


@pytest.mark.parametrize("planted", sorted(PLANTED))
def test_a_template_naming_people_is_refused(alice, dave, api_for, planted):
    api = api_for(alice)
    body = {"slug": "planted", "name": "Planted", "body": PLANTED[planted]}
    refused = api.post("/api/templates", body)
    assert refused.status_code == 422, refused.content
    field = "body.contributors" if planted == "contributors" else "body.actionItems[0].owner"
    assert field in refused.json()["fields"]
    assert not Template.objects.filter(slug="planted").exists()
    # Nor can a harmless template be changed into one.
    harmless = {**body, "body": {"tags": ["ok"]}, "hints": {"summary": "Ok"}}
    assert api.post("/api/templates", harmless).status_code == 201
    assert api.patch("/api/templates/planted", {"body": PLANTED[planted]}).status_code == 422
    assert Template.objects.get(slug="planted").body == {"tags": ["ok"]}


def test_a_template_may_still_hold_unowned_action_items_and_empty_lists(alice, api_for):
    body = {"actionItems": [{"description": "Rotate the keys", "owner": None}], "contributors": []}
    created = api_for(alice).post("/api/templates", {"slug": "ok", "name": "Ok", "body": body})
    assert created.status_code == 201, created.content


@pytest.fixture
def planted_template(alice):
    """A template stored before bodies were checked, naming dave everywhere."""
    return Template.objects.create(
        slug="legacy",
        name="Legacy",
        created_by=alice,
        body={
            "summary": "From the template.",
            "contributors": ["dave", "dave@example.com"],
            "actionItems": [{"description": "Rotate the keys", "owner": "dave"}],
        },
    )


def test_a_stored_template_naming_people_grants_nothing_through_the_api(
    alice, dave, incident, api_for, planted_template
):
    body = {"incidentId": incident.id, "title": "From legacy", "template": "legacy"}
    created = api_for(alice).post("/api/postmortems", body)
    assert created.status_code == 201, created.content
    report = created.json()
    assert report["summary"] == ""  # a stored body's prompt is never the report's text
    assert report["contributors"] == []
    assert [i["owner"] for i in report["actionItems"]] == [None]
    assert api_for(dave).get(url(report)).status_code == 404


def test_a_stored_template_naming_people_grants_nothing_through_the_web_form(
    client, alice, dave, incident, planted_template
):
    client.force_login(alice)
    response = client.post(
        "/postmortems/new", {"title": "From legacy", "incident": incident.id, "template": "legacy"}
    )
    assert response.status_code == 302, response.content[:2000]
    report = PostMortem.objects.get(title="From legacy")
    assert report.contributors == []
    assert [i.owner for i in report.action_items.all()] == [None]
    assert not PostMortem.objects.visible_to(dave).filter(pk=report.pk).exists()


# Drafts stay out of shared channels -----------------------------------------------------


@pytest.fixture
def channels(db):
    from hindsight.notifications.models import Channel

    return {
        "webhook": Channel.objects.create(name="Hook", kind="webhook", url="http://127.0.0.1:9/h"),
        "slack": Channel.objects.create(name="Chat", kind="slack", url="http://127.0.0.1:9/s"),
        "email": Channel.objects.create(
            name="Mail",
            kind="email",
            recipients=[
                "alice@example.com",  # the author: may read the draft
                "Root@Example.com",  # an admin: may read it
                "dave@example.com",  # a member with no part in it
                "team@example.com",  # nobody's address
            ],
        ),
    }


SECRET_WORDS = ("Pool Exhaustion", "connection pool", "engineering@example.com", "spike")


def _messages(event_name):
    """Every message the channels would receive for EVENT_NAME, as text."""
    from hindsight.notifications import delivery as sending
    from hindsight.notifications.models import Delivery

    sent = {}
    for d in Delivery.objects.select_related("event", "channel").filter(event__name=event_name):
        text, link = sending.summary(d.event.name, d.event.data)
        sent[d.channel.kind] = {
            "body": sending.body_bytes(d).decode(),
            "text": text,
            "link": link,
            "recipients": d.recipients,
        }
    return sent


def _assert_shows_only_what_any_viewer_sees(message, pm_id):
    for word in SECRET_WORDS:
        assert word not in message["body"], word
        assert word not in message["text"], word
    assert pm_id in message["body"]
    assert message["link"].endswith(f"/postmortems/{pm_id}")


def test_assigning_an_item_on_a_draft_tells_channels_only_its_id_link_and_incident(
    alice, admin, dave, incident, api_for, seed_body, channels
):
    report = api_for(alice).post("/api/postmortems", seed_body).json()
    sent = _messages("action_item.assigned")
    assert sorted(sent) == ["email", "slack", "webhook"]
    for message in sent.values():
        _assert_shows_only_what_any_viewer_sees(message, report["id"])
    assert '"incidentId":"inc_123"' in sent["webhook"]["body"]
    # Email about a draft goes only to the people who may read it.
    assert sorted(sent["email"]["recipients"]) == ["Root@Example.com", "alice@example.com"]


def test_a_report_in_review_still_tells_channels_its_title(
    alice, incident, api_for, seed_body, channels
):
    api_for(alice).post("/api/postmortems", {**seed_body, "status": "IN_REVIEW"})
    sent = _messages("action_item.assigned")
    assert "Pool Exhaustion" in sent["webhook"]["body"]
    assert "Pool Exhaustion" in sent["slack"]["text"]
    assert sent["email"]["recipients"] is None  # the channel's own list


def test_email_about_a_draft_nobody_there_may_read_is_not_queued(
    alice, incident, api_for, seed_body, channels
):
    channels["email"].recipients = ["dave@example.com", "team@example.com"]
    channels["email"].save()
    api_for(alice).post("/api/postmortems", seed_body)
    assert sorted(_messages("action_item.assigned")) == ["slack", "webhook"]


def test_overdue_reminders_for_a_draft_keep_firing_without_its_text(
    alice, admin, incident, postmortem, settings, channels
):
    from datetime import timedelta

    from django.core import mail
    from django.utils import timezone

    from hindsight.notifications.checks import run_checks
    from hindsight.notifications.models import Delivery
    from hindsight.notifications.worker import Worker
    from hindsight.postmortems.models import ActionItem
    from tests.test_notifications import FAST

    settings.POSTMORTEM_DUE_HOURS = 24
    item = ActionItem.objects.filter(postmortem_id=postmortem["id"]).first()
    ActionItem.objects.filter(pk=item.pk).update(due_date=timezone.localdate() - timedelta(days=1))
    incident.resolved_at = timezone.now() - timedelta(hours=25)
    incident.save(update_fields=["resolved_at"])

    assert run_checks() == 2
    for name in ("postmortem.overdue", "action_item.overdue"):
        sent = _messages(name)
        assert sorted(sent) == ["email", "slack", "webhook"], name
        for message in sent.values():
            _assert_shows_only_what_any_viewer_sees(message, postmortem["id"])
        assert sorted(sent["email"]["recipients"]) == ["Root@Example.com", "alice@example.com"]
    assert '"dueAt":' in _messages("postmortem.overdue")["webhook"]["body"]

    # The worker sends the reminders; the emails reach only the draft's readers.
    Delivery.objects.exclude(channel__kind="email").delete()
    assert Worker(FAST).run_once() == 2
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert sorted(message.to) == ["Root@Example.com", "alice@example.com"]
        assert postmortem["id"] in message.body
        assert "Pool Exhaustion" not in message.subject + message.body


# One user per name or email ----------------------------------------------------------------


def _add_user(name, email=""):
    from hindsight.accounts.services import create_user

    return create_user(name, password="a long enough password", email=email)


@pytest.mark.parametrize(
    ("name", "email", "clash"),
    [
        ("alice@example.com", "", "alice"),  # a name that is another user's email
        ("ALICE@Example.com", "", "alice"),
        ("Root@example.com", "", "root"),  # admins included
        ("zed", "OPS@example.com", "ops@example.com"),  # an email that is a user's name…
        ("zed", "Alice@Example.COM", "alice"),  # …or another user's email, in any case
        ("Alice", "", "alice"),
    ],
)
def test_user_names_and_emails_are_unique_across_both(alice, admin, name, email, clash):
    from hindsight.accounts.models import User
    from hindsight.lib.errors import Conflict

    _add_user("ops@example.com")
    with pytest.raises(Conflict) as refused:
        _add_user(name, email)
    assert clash in refused.value.message.lower()
    assert User.objects.count() == 3


def test_an_email_must_be_an_address(db):
    from hindsight.accounts.models import User
    from hindsight.lib.errors import Invalid

    for email in ("m2", "m2@", "@example.com", "two words@example.com"):
        with pytest.raises(Invalid) as refused:
            _add_user("m2", email)
        assert refused.value.fields == {"email": "not an email address"}
    assert not User.objects.exists()
    assert _add_user("m2", " m2@example.com ").email == "m2@example.com"


def test_the_cli_refuses_a_name_that_is_another_users_email(alice, capsys, monkeypatch):
    import io

    from hindsight import cli
    from hindsight.accounts.models import User

    def add(*args):
        monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
        return cli.main(["user", "add", *args, "--password-stdin"])

    assert add("alice@example.com") == 1
    assert "alice@example.com is the email of user alice" in capsys.readouterr().err
    assert add("m2", "--email", "m2") == 2
    assert "not an email address" in capsys.readouterr().err
    assert sorted(User.objects.values_list("username", flat=True)) == ["alice"]


def test_a_contributor_is_bound_to_the_one_user_it_names_when_saved(
    alice, bob, incident, api_for, seed_body
):
    from hindsight.accounts.models import User

    api = api_for(alice)
    report = api.post("/api/postmortems", {**seed_body, "contributors": ["BOB@example.com"]}).json()
    assert report["contributors"] == ["BOB@example.com"]  # kept as written
    assert api_for(bob).get(url(report)).status_code == 200
    # bob changes address; someone else later gets the old one: the binding stays with bob.
    User.objects.filter(pk=bob.pk).update(email="robert@example.com")
    newcomer = _add_user("bobby", "bob@example.com")
    assert api_for(bob).get(url(report)).status_code == 200
    assert api_for(newcomer).get(url(report)).status_code == 404
    # Saving the list again (another name added) keeps the binding too.
    patched = api.patch(url(report), {"contributors": ["BOB@example.com", "carol"]})
    assert patched.status_code == 200, patched.content
    assert api_for(bob).get(url(report)).status_code == 200
    assert api_for(newcomer).get(url(report)).status_code == 404


def test_a_contributor_naming_no_user_grants_nothing_to_a_user_made_later(
    alice, incident, api_for, seed_body
):
    api = api_for(alice)
    report = api.post("/api/postmortems", {**seed_body, "contributors": ["m1@example.com"]}).json()
    late = _add_user("m1", "m1@example.com")
    assert api_for(late).get(url(report)).status_code == 404
    assert not PostMortem.objects.visible_to(late).exists()
    assert api_for(late).patch(url(report), {"title": "Mine"}).status_code == 404


def test_existing_collisions_are_reported_by_migrate_and_bind_no_one(
    alice, bob, incident, api_for, seed_body, capsys
):
    from hindsight import cli
    from hindsight.accounts.models import User
    from hindsight.accounts.services import identity_collisions

    # Made before names and emails were checked: a user named by bob's email, and two
    # users sharing one address.
    twin = User.objects.create(username="bob@example.com", email="twin@example.com")
    User.objects.create(username="carla", email="Alice@example.com")
    collisions = identity_collisions()
    assert {key: sorted(u.username for u in users) for key, users in collisions.items()} == {
        "alice@example.com": ["alice", "carla"],
        "bob@example.com": ["bob", "bob@example.com"],
    }
    report = api_for(alice).post(
        "/api/postmortems", {**seed_body, "contributors": ["bob@example.com"]}
    )
    assert report.status_code == 201
    # Ambiguous: it binds neither bob nor the twin.
    assert api_for(twin).get(url(report.json())).status_code == 404

    assert cli.main(["migrate"]) == 0
    out = capsys.readouterr()
    assert "alice@example.com: alice, carla" in out.err
    assert "bob@example.com: bob, bob@example.com" in out.err
    assert "/admin/" in out.err


def test_an_admin_cannot_make_a_collision_but_can_fix_one(client, admin, alice, bob):
    from hindsight.accounts.models import User
    from hindsight.accounts.services import identity_collisions

    client.force_login(admin)
    added = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "bob@example.com",
            "email": "new@example.com",
            "role": "member",
            "password1": "a long enough password",
            "password2": "a long enough password",
        },
    )
    assert added.status_code == 200  # the form again, with the error
    assert "is the email of user bob" in added.content.decode()
    assert not User.objects.filter(username="bob@example.com").exists()

    # An old collision: carla shares alice's address. Changing carla's role still saves;
    # giving her bob's address does not; giving her her own fixes it.
    carla = User.objects.create(username="carla", email="ALICE@example.com")

    def change(**values):
        form = {
            "username": "carla",
            "email": "ALICE@example.com",
            "role": "member",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            **values,
        }
        return client.post(f"/admin/accounts/user/{carla.pk}/change/", form)

    assert change(role="viewer").status_code == 302
    assert User.objects.get(pk=carla.pk).role == "viewer"
    refused = change(email="Bob@Example.com")
    assert refused.status_code == 200
    assert "is the email of user bob" in refused.content.decode()
    assert change(email="carla@example.com").status_code == 302
    assert User.objects.get(pk=carla.pk).email == "carla@example.com"
    assert identity_collisions() == {}
