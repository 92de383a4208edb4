"""The plain list (equality filters only, searched or not, first page) runs compiled SQL: for every
kind of reader, filter, sort and order it answers exactly what the ORM's query answers."""

import functools
import itertools

import pytest

from hindsight.incidents.services import create_incident
from hindsight.lib import pagination
from hindsight.lib.times import parse_timestamp
from hindsight.postmortems import listing, services
from hindsight.postmortems.factors import categories

pytestmark = pytest.mark.django_db


@pytest.fixture
def reports(alice, bob, make_user, incident):
    make_user("dana")  # a contributor of one report below
    other = create_incident(
        {
            "title": "Queue stall",
            "severity": "SEV1",
            "type": "NEAR_MISS",
            "services": ["queue"],
            "started_at": parse_timestamp("2026-04-02T10:00:00Z"),
        },
        by=bob,
    )
    category = categories()[0].slug
    made = []
    for n, (by, inc, status) in enumerate(
        itertools.product((alice, bob), (incident, other), ("DRAFT", "IN_REVIEW"))
    ):
        data = {"title": f"Report {n} {'zeta' if n % 2 else 'Alpha'}", "incident_id": inc.id}
        data |= {"status": status, "contributors": ["dana@example.com"] if n == 5 else []}
        if n % 3 == 0:
            data["contributing_factors"] = [{"factor": "Pool too small", "category": category}]
        made.append(services.create_postmortem(data, by=by))
    return made


def _through_the_orm(monkeypatch):
    monkeypatch.setattr(listing, "_plain", lambda filters: False)


FILTERS = [
    {},
    {"status": ["DRAFT"]},
    {"status": ["IN_REVIEW", "DRAFT"]},
    {"severity": ["SEV1"]},
    {"incident_id": "inc_123"},
    {"type": "NEAR_MISS"},
    {"factor_category": "__first__"},
    {"status": ["DRAFT"], "severity": ["SEV2"], "type": "INCIDENT"},
    {"q": "report"},
    {"q": "zeta", "status": ["DRAFT"]},
    {"q": "alph", "severity": ["SEV2"]},
]


@pytest.mark.parametrize("given", FILTERS, ids=lambda f: ",".join(f) or "none")
def test_every_plain_list_answers_as_the_orm_does(
    reports, alice, bob, carol, admin, monkeypatch, given
):
    from hindsight.accounts.models import User

    dana = User.objects.get(username="dana")
    if given.get("factor_category") == "__first__":
        given = {**given, "factor_category": categories()[0].slug}
    for user, sort, order in itertools.product(
        (alice, bob, dana, carol, admin), [None, *listing.SORTS], ("desc", "asc")
    ):
        filters = listing.ListFilters(**given, sort=sort, order=order, limit=3)
        assert listing._plain(filters)
        compiled = listing.page(user, filters).body()
        with monkeypatch.context() as patch:
            _through_the_orm(patch)
            expected = listing.page(user, filters).body()
            # The compiled first page's cursor leads on as the ORM's does.
            if compiled["nextCursor"]:
                after = listing.ListFilters(
                    **given, sort=sort, order=order, limit=3, cursor=compiled["nextCursor"]
                )
                assert listing.page(user, after).body()["items"]
        assert compiled == expected, (user.username, sort, order)


def test_a_list_with_any_other_filter_or_a_cursor_is_not_plain():
    assert listing._plain(listing.ListFilters())
    assert listing._plain(listing.ListFilters(q="pool", status=["DRAFT"]))
    for name, value in {
        "created_by": "alice",
        "tag": ["db"],
        "service": "check",
        "overdue": True,
        "cursor": "abc",
        "q": "  !! ",
    }.items():
        assert not listing._plain(listing.ListFilters(**{name: value})), name


def test_a_draft_stays_out_of_another_members_plain_list(reports, bob, alice):
    seen = {row.data["id"] for row in listing.page(bob, listing.ListFilters(limit=100)).rows}
    alice_drafts = {p.id for p in reports if p.created_by == alice and p.status == "DRAFT"}
    assert alice_drafts and not (seen & alice_drafts)


def test_a_ranked_page_reads_its_rows_through_the_visibility_rule_again(reports, alice, bob):
    """The ranked ids and their rows are two reads: a report made a draft in between is not
    shown to a reader who may not read the draft."""
    filters = listing.ListFilters(q="report")
    shape, values = listing._plain_shape(alice, filters)
    bobs_draft = next(r for r in reports if r.created_by == bob and r.status == "DRAFT")
    alices = next(r for r in reports if r.created_by == alice and r.status == "IN_REVIEW")
    ids = [bobs_draft.pk, alices.pk]
    rows = listing._ROWS_BY_ID.rows(*ids, *values, shape=(shape, len(ids)))
    assert [row[0] for row in rows] == [alices.pk]
    shape, values = listing._plain_shape(bob, filters)
    rows = listing._ROWS_BY_ID.rows(*ids, *values, shape=(shape, len(ids)))
    assert sorted(row[0] for row in rows) == sorted(ids)  # bob reads both


def test_a_ranked_page_counts_its_matches_as_it_ranks_them(
    reports, admin, monkeypatch, django_assert_num_queries
):
    """One query ranks the matches and counts them; the count is bounded as every list's."""
    filters = listing.ListFilters(q="report", limit=3)
    with django_assert_num_queries(2):  # the ranked ids with their count, the page's rows
        body = listing.page(admin, filters).body()
    assert (body["total"], body["totalIsExact"]) == (len(reports), True)
    assert len(body["items"]) == 3 and body["nextCursor"]
    monkeypatch.setattr(listing, "bounded", functools.partial(pagination.bounded, limit=5))
    body = listing.page(admin, filters).body()
    assert (body["total"], body["totalIsExact"]) == (5, False)
    nothing = listing.page(admin, listing.ListFilters(q="nowhere")).body()
    assert (nothing["total"], nothing["totalIsExact"], nothing["items"]) == (0, True, [])
