"""Queries compiled once by the ORM and run again with each request's value answer exactly
what the ORM's own query answers."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection

from hindsight.accounts.models import User
from hindsight.lib.compiled import CompiledQuery, insert, insert_if
from hindsight.lib.errors import NotFound
from hindsight.postmortems.models import ActionItem, PostMortem, Revision, Tag


def test_a_compiled_query_answers_as_the_orm_does(alice, postmortem, incident):
    columns = ("title", "status", "created_at", "incident__started_at", "version")
    compiled = CompiledQuery(
        lambda shape, pk: PostMortem.objects.filter(pk=pk).values_list(*columns)
    )
    expected = PostMortem.objects.filter(pk=postmortem["id"]).values_list(*columns).get()
    assert compiled.first(postmortem["id"]) == expected
    assert compiled.first(postmortem["id"])[2].tzinfo is not None  # aware, as the ORM's
    assert compiled.first("pm_missing") is None


def test_the_value_is_a_parameter_never_spliced_into_the_sql(alice):
    compiled = CompiledQuery(
        lambda shape, name: User.objects.filter(username=name).values_list("pk")
    )
    assert compiled.first("alice' OR '1'='1") is None
    assert compiled.first("alice") == (alice.pk,)


def test_the_sql_is_compiled_once_per_shape(alice, make_user, postmortem):
    """A draft read through the visibility rule: one SQL per kind of reader, each reader's
    own values as parameters."""
    from hindsight.postmortems import document

    before = document._READ.compiled_shapes()
    assert document.read(alice, postmortem["id"])["id"] == postmortem["id"]
    with pytest.raises(NotFound):
        document.read(make_user("dave"), postmortem["id"])  # alice's shape, other values
    assert len(document._READ.compiled_shapes() - before) <= 1


def test_a_compiled_get_returns_the_instance_the_orm_would(incident):
    from hindsight.incidents.models import Incident
    from hindsight.lib.compiled import CompiledGet

    get = CompiledGet(Incident)
    got, expected = get(incident.pk), Incident.objects.get(pk=incident.pk)
    for field in Incident._meta.concrete_fields:  # JSON, instants and all, converted alike
        assert getattr(got, field.attname) == getattr(expected, field.attname), field.name
    assert got.services == ["checkout", "postgres"]
    assert get("inc_missing") is None


def test_a_value_the_orm_rewrites_is_refused_rather_than_sent_as_given(alice):
    # icontains wraps the value in a LIKE pattern: the compiled SQL would look for the text
    # itself, not for rows containing it, so compiling such a query is an error.
    compiled = CompiledQuery(
        lambda shape, name: User.objects.filter(username__icontains=name).values_list("pk")
    )
    with pytest.raises(ValueError, match="does not reach the SQL as given"):
        compiled.first("lic")


def test_rows_answers_every_row_as_the_orm_does(alice, bob, make_user):
    make_user("dave")
    compiled = CompiledQuery(
        lambda shape, *names: (
            User.objects.filter(username__in=names)
            .order_by("username")
            .values_list("username", "date_joined")
        ),
        count=False,
    )
    expected = list(
        User.objects.filter(username__in=["alice", "dave"])
        .order_by("username")
        .values_list("username", "date_joined")
    )
    assert compiled.rows("alice", "dave", shape=2) == expected
    counted = CompiledQuery(
        lambda shape, *names: User.objects.filter(username__in=names).values_list("pk"),
        count=True,
    )
    assert counted.first("alice", "bob", "nobody", shape=3) == (2,)


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_postgresql_prepares_a_compiled_query_once_and_plans_nothing_else_again(alice, postmortem):
    """The server prepares the read by id once per connection: the same statement serves
    every later read, with each one's values bound by the server (and logged as a query)."""
    from django.test.utils import CaptureQueriesContext

    from hindsight.postmortems import document

    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    document.read(alice, postmortem["id"])
    PostMortem.objects.filter(pk=postmortem["id"]).count()  # an ORM query: not prepared
    reads = [s for s in _prepared_statements() if "postmortems_postmortem" in s]
    assert len(reads) == 1 and "$1" in reads[0] and "COUNT" not in reads[0]
    with CaptureQueriesContext(connection) as queries:
        with pytest.raises(NotFound):
            document.read(alice, "pm_missing")
        assert document.read(alice, postmortem["id"])["title"] == postmortem["title"]
    assert len(queries) == 2 and all("postmortems_postmortem" in q["sql"] for q in queries)
    assert [s for s in _prepared_statements() if "postmortems_postmortem" in s] == reads


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_postgresql_prepares_nothing_when_told_not_to(alice, postmortem, settings):
    """HINDSIGHT_DB_PREPARED_STATEMENTS=false, for a pooler in transaction mode."""
    from hindsight.postmortems import document

    settings.DB_PREPARED_STATEMENTS = False
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # what earlier tests prepared on this connection
    assert document.read(alice, postmortem["id"])["id"] == postmortem["id"]
    assert _prepared_statements() == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
@pytest.mark.django_db(transaction=True)
def test_a_statement_the_server_lost_is_prepared_again(alice, postmortem):
    """A pooler, or someone's DEALLOCATE, can drop a prepared statement behind psycopg's
    back: the next read prepares it again instead of failing on every request."""
    from hindsight.postmortems import document

    assert document.read(alice, postmortem["id"])["id"] == postmortem["id"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        names = [row[0] for row in cursor.fetchall()]
        assert names
        for name in names:  # one by one: psycopg notices DEALLOCATE ALL, not these
            cursor.execute(f'DEALLOCATE "{name}"')
    assert document.read(alice, postmortem["id"])["id"] == postmortem["id"]
    assert any("postmortems_postmortem" in s for s in _prepared_statements())


# Inserts --------------------------------------------------------------------------------


def _row(model, pk) -> tuple:
    columns = [f.attname for f in model._meta.concrete_fields]
    return model.objects.filter(pk=pk).values_list(*columns).get()


def _values(obj) -> tuple:
    return tuple(getattr(obj, f.attname) for f in obj._meta.concrete_fields)


def test_a_compiled_insert_writes_the_row_bulk_create_would(alice, postmortem):
    """Every column, auto_now_add and the generated columns included, and the instance
    holds what the database filled in."""

    def item(item_id):
        return ActionItem(
            id=item_id,
            postmortem_id=postmortem["id"],
            description="Alert on pool saturation",
            owner="ops@example.com",
            status="DONE",
            priority="HIGH",
            due_date=date(2026, 4, 1),
            completed_at=datetime(2026, 3, 20, 9, 30, tzinfo=UTC),
            position=7,
        )

    ours, theirs = item("ai_compiled_1"), item("ai_orm_1")
    insert([ours])
    ActionItem.objects.bulk_create([theirs])
    assert not ours._state.adding
    assert ours.created_at is not None  # auto_now_add applied
    assert ours.completed_month == 202603 and ours.seconds_to_done is not None
    stored, orm = _row(ActionItem, ours.pk), _row(ActionItem, theirs.pk)
    columns = [f.attname for f in ActionItem._meta.concrete_fields]
    differ = {c for c, a, b in zip(columns, stored, orm, strict=True) if a != b}
    # Only the id and the instants of writing differ (and what follows from the latter).
    assert differ <= {"id", "created_at", "updated_at", "seconds_to_done"}, differ
    ours_fresh = ActionItem.objects.get(pk=ours.pk)
    assert _values(ours_fresh) == _values(ours)


def test_a_compiled_insert_returns_automatic_keys_in_batches(alice, postmortem):
    """More rows than SQLite takes parameters for in one statement: batched, each instance
    given its own key, in order."""
    Tag.objects.filter(postmortem_id=postmortem["id"]).delete()
    tags = [Tag(postmortem_id=postmortem["id"], name=f"t{i}", position=i) for i in range(1500)]
    insert(tags)
    stored = dict(Tag.objects.filter(postmortem_id=postmortem["id"]).values_list("pk", "name"))
    assert len(stored) == 1500
    assert {tag.pk: tag.name for tag in tags} == stored


def test_a_conditional_insert_writes_nothing_where_its_condition_fails(alice, postmortem):
    held = Tag(postmortem_id=postmortem["id"], name="held", position=0)
    assert insert_if(held, "1 = %s", [2]) is False
    assert held.pk is None and held._state.adding
    assert not Tag.objects.filter(name="held").exists()
    assert insert_if(held, "1 = %s", [1]) is True
    assert Tag.objects.get(pk=held.pk).name == "held"


def test_a_compiled_insert_refuses_what_it_would_misread(alice, postmortem):
    from django.db.models.functions import Now

    with pytest.raises(ValueError, match="takes no id"):
        insert([Tag(pk=10**9, postmortem_id=postmortem["id"], name="given", position=0)])
    with pytest.raises(ValueError, match="takes values"):
        insert([Tag(postmortem_id=postmortem["id"], name=Now(), position=0)])
    unsaved = User(username="not-saved-yet")
    with pytest.raises(ValueError, match="unsaved related object"):
        insert([Revision(postmortem_id=postmortem["id"], version=99, changed_by=unsaved)])
    assert not Tag.objects.filter(name="given").exists()
    assert not Revision.objects.filter(version=99).exists()
