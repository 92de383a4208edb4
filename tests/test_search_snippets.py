"""Search results on the web list show a passage around the matched words, highlighted:
FTS5's snippet() on SQLite, ts_headline on PostgreSQL, marked with control characters that
are escaped with the text before they become <mark>."""

import re

import pytest

from hindsight.postmortems import search


@pytest.fixture
def signed_in(alice, client):
    client.force_login(alice)
    return client


def make(api, **fields):
    response = api.post("/api/postmortems", {"incidentId": "inc_123", **fields})
    assert response.status_code == 201, response.content
    return response.json()


def results(client, **params) -> str:
    response = client.get("/postmortems", params)
    assert response.status_code == 200
    return response.content.decode()


def snippets(page: str) -> list[str]:
    return re.findall(r'<p class="snippet small">(.*?)</p>', page, re.S)


def test_a_result_shows_the_passage_with_the_matched_words_marked(
    alice, api_for, incident, signed_in
):
    make(
        api_for(alice),
        title="Checkout outage",
        summary="During the sale the connection pool ran dry and checkout stalled.",
    )
    [snippet] = snippets(results(signed_in, q="pool"))
    assert "<mark>pool</mark>" in snippet
    assert "connection" in snippet


def test_the_last_word_matches_as_a_prefix_and_is_marked_whole(alice, api_for, incident, signed_in):
    make(api_for(alice), title="Queue trouble", rootCause="The consumers were misconfigured.")
    [snippet] = snippets(results(signed_in, q="consum"))
    assert "<mark>consumers</mark>" in snippet


def test_text_around_the_match_is_escaped_never_markup(alice, api_for, incident, signed_in):
    make(
        api_for(alice),
        title="Injected",
        summary="<script>alert(1)</script> <img src=x onerror=alert(2)> the pool <b>broke</b>",
    )
    page = results(signed_in, q="pool")
    [snippet] = snippets(page)
    # SQLite's snippet keeps the text, escaped; PostgreSQL's parser drops the tags: neither
    # leaves any markup but the highlight.
    assert "<" not in re.sub(r"</?mark>", "", snippet)
    assert "<mark>pool</mark>" in snippet
    assert "<script>alert(1)" not in page


def test_markers_typed_into_a_report_never_make_markup():
    typed = (
        f"a {search.MARK_START}<i>x</i> {search.MARK_START}pool{search.MARK_END} b{search.MARK_END}"
    )
    html = search.highlighted(typed)
    assert html == "a &lt;i&gt;x&lt;/i&gt; <mark>pool</mark> b"
    assert (
        search.highlighted(f"{search.MARK_START}<b>{search.MARK_END}") == "<mark>&lt;b&gt;</mark>"
    )


def test_without_a_search_there_is_no_snippet(alice, api_for, incident, signed_in):
    make(api_for(alice), title="Plain", summary="Nothing to mark.")
    assert snippets(results(signed_in)) == []


def test_a_search_page_adds_one_query_for_its_snippets(
    alice, api_for, incident, signed_in, django_assert_max_num_queries
):
    api = api_for(alice)
    for n in range(25):
        make(api, title=f"Pool report {n}", summary="The pool ran dry.")
    results(signed_in)  # the session's first use
    # session, user, count, page, snippets (and the savepoint pair of the test transaction)
    with django_assert_max_num_queries(7):
        page = results(signed_in, q="pool")
    assert len(snippets(page)) == 20


def test_the_passage_comes_from_the_text_and_else_from_the_title(
    alice, api_for, incident, signed_in
):
    api = api_for(alice)
    make(api, title="Kafka lag", summary="Consumers fell behind after the deploy.")
    make(api, title="Consumer rebalancing", summary="The kafka brokers rebalanced twice.")
    page = results(signed_in, q="kafka")
    passages = snippets(page)
    assert len(passages) == 2, passages
    assert any("<mark>Kafka</mark> lag" in p for p in passages), passages  # the title only
    assert any("<mark>kafka</mark> brokers" in p for p in passages)  # the summary matches
