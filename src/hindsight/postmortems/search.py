"""Full-text search over title, summary, impact and root cause, ranked.

SQLite: an FTS5 table whose rowid is the post-mortem's search_key, written by reindex()
inside the transaction that changes the post-mortem, so search never sees a half-applied
write. PostgreSQL: a weighted tsvector column with a GIN index, which a trigger computes as
the row itself is written (migration 0030; `_pg_document` is the same document as the ORM
writes it, which a test holds the trigger to).
"""

import re
import time
import unicodedata

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, TextField, Value
from django.db.models.functions import Coalesce
from django.utils.html import escape

from hindsight.postmortems.models import PostMortem

FTS_TABLE = "postmortem_fts"
# FTS5's own count of the documents holding each term (migration 0016).
FTS_VOCAB_TABLE = "postmortem_fts_vocab"
# Column weights for title, summary, impact, root_cause (PostgreSQL: A, B, C, B).
FTS5_WEIGHTS = "10.0, 4.0, 2.0, 4.0"
_WORD = re.compile(r"\w+", re.UNICODE)


def reindex(postmortem: PostMortem, *, new: bool = False) -> None:
    """Index POSTMORTEM's text in the writing transaction (NEW: it has no entry yet). On
    PostgreSQL the row's own write did (its trigger)."""
    if connection.vendor == "postgresql":
        return
    with connection.cursor() as cursor:
        if not new:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [postmortem.search_key])
        cursor.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, title, summary, impact, root_cause) "
            "VALUES (%s, %s, %s, %s, %s)",
            [
                postmortem.search_key,
                postmortem.title,
                postmortem.summary,
                postmortem.impact or "",
                postmortem.root_cause or "",
            ],
        )


def unindex(postmortem: PostMortem) -> None:
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [postmortem.search_key])


def _pg_document():
    def part(field: str, weight: str) -> SearchVector:
        return SearchVector(
            Coalesce(F(field), Value(""), output_field=TextField()), weight=weight, config="english"
        )

    return part("title", "A") + part("summary", "B") + part("root_cause", "B") + part("impact", "C")


def fts5_query(text: str) -> str | None:
    """The user's words as an FTS5 query: every word must match (prefix on the last)."""
    words = _WORD.findall(text)
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def tsquery(text: str) -> str | None:
    """The same query for PostgreSQL: every word, stemmed, the last one as a prefix."""
    words = _WORD.findall(text)
    if not words:
        return None
    terms = [f"'{w}'" for w in words]
    terms[-1] += ":*"
    return " & ".join(terms)


# A word's count moves slowly, and FTS5 counts a common word by walking its whole list of
# documents: each process remembers a count this long.
FREQUENCY_TTL = 600.0
_frequencies: dict[tuple[str, str], tuple[float, int]] = {}


def document_frequencies(words: list[str]) -> dict[str, int]:
    """For each of WORDS, about how many post-mortems hold it in their indexed text, as
    counted in the last FREQUENCY_TTL seconds.

    SQLite: FTS5's own count, exact, from its fts5vocab table. PostgreSQL: the share of rows
    holding each lexeme that ANALYZE keeps for the search_vector column (pg_stats'
    most_common_elems, refreshed by autovacuum) times the table's row estimate; a word it
    does not list is rarer than every word it lists, so it counts as 0. Without statistics
    yet (a new database) every word counts as 0."""
    words = [w for w in words if _WORD.fullmatch(w)]
    now = time.monotonic()
    database = connection.settings_dict["NAME"]
    found, missing = {}, []
    for word in words:
        kept = _frequencies.get((database, word))
        if kept is not None and kept[0] > now:
            found[word] = kept[1]
        else:
            missing.append(word)
    if missing:
        with connection.cursor() as cursor:
            counted = (
                _pg_frequencies(cursor, missing)
                if connection.vendor == "postgresql"
                else _fts5_frequencies(cursor, missing)
            )
        for word, docs in counted.items():
            _frequencies[(database, word)] = (now + FREQUENCY_TTL, docs)
        found.update(counted)
    return found


def forget_frequencies() -> None:
    _frequencies.clear()


def _fts5_frequencies(cursor, words: list[str]) -> dict[str, int]:
    # The tokenizer folds diacritics (remove_diacritics 2); look the terms up folded.
    folded = {w: _folded(w) for w in words}
    marks = ", ".join(["%s"] * len(folded))
    cursor.execute(
        f"SELECT term, doc FROM {FTS_VOCAB_TABLE} WHERE term IN ({marks})",
        sorted(set(folded.values())),
    )
    docs = dict(cursor.fetchall())
    return {w: docs.get(term, 0) for w, term in folded.items()}


def _folded(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _pg_frequencies(cursor, words: list[str]) -> dict[str, int]:
    cursor.execute(
        "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples"
        " FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename"
        " AND c.relnamespace = s.schemaname::regnamespace"
        " WHERE s.schemaname = current_schema() AND s.tablename = %s"
        " AND s.attname = 'search_vector'",
        [PostMortem._meta.db_table],
    )
    row = cursor.fetchone()
    if row is None or row[0] is None:
        return dict.fromkeys(words, 0)
    lexemes, shares, rows = row
    share = dict(zip(lexemes, shares, strict=False))
    # Each word as the lexemes the document holds for it (none for an English stop word).
    cursor.execute(
        "SELECT w, t.lexeme FROM unnest(%s::text[]) AS w,"
        " LATERAL unnest(to_tsvector('english', w)) AS t",
        [words],
    )
    found = dict.fromkeys(words, 0)
    for word, lexeme in cursor.fetchall():
        found[word] = max(found[word], round(share.get(lexeme, 0) * max(rows, 0)))
    return found


def any_of(queryset, words: list[str], *, ranked: bool = True):
    """QUERYSET narrowed to post-mortems matching any of WORDS, best match first unless not
    RANKED (the related post-mortems' candidates)."""
    words = [w for w in words if _WORD.fullmatch(w)]
    if not words:
        return queryset.none()
    if not ranked:
        expression = " OR ".join(f'"{w}"' for w in words)
        if connection.vendor == "postgresql":
            expression = " | ".join(f"'{w}'" for w in words)
        return narrowed(queryset, expression, ranked=False)
    if connection.vendor == "postgresql":
        query = SearchQuery(
            " | ".join(f"'{w}'" for w in words), search_type="raw", config="english"
        )
        return (
            queryset.filter(search_vector=query)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "-created_at", "-id")
        )
    expression = " OR ".join(f'"{w}"' for w in words)
    return queryset.extra(
        tables=[FTS_TABLE],
        where=[
            f"{FTS_TABLE}.rowid = postmortems_postmortem.search_key",
            f"{FTS_TABLE} MATCH %s",
            f"{FTS_TABLE}.rank MATCH %s",
        ],
        params=[expression, f"bm25({FTS5_WEIGHTS})"],
        select={"rank": f"{FTS_TABLE}.rank"},
        # By rank alone, FTS5 hands the matches over in order and a LIMIT stops the join
        # there; a second sort key would join every match before sorting.
        order_by=["rank"],
    )


def top_matches(queryset, words: list[str], *, ranked: bool, limit: int, columns: tuple):
    """COLUMNS (values_list's names) of the first LIMIT post-mortems of any_of(QUERYSET,
    WORDS, ranked=RANKED), in no particular order, in one query. On PostgreSQL the ranking
    is a subquery of ids, so whatever COLUMNS join is joined after the LIMIT (inside, it
    would hash-join every match first); SQLite's FTS5 join names the outer table and so
    cannot be nested, but hands the matches over in rank order and stops at the LIMIT."""
    found = any_of(queryset, words, ranked=ranked)
    if connection.vendor == "postgresql":
        ids = found.values_list("pk", flat=True)[:limit]
        return PostMortem.objects.filter(pk__in=ids).values_list(*columns)
    return found.values_list(*columns)[:limit]


def matching(queryset, text: str):
    """QUERYSET narrowed to post-mortems matching TEXT, unranked (cheap to count)."""
    return narrowed(queryset, query_for(text), ranked=False)


def apply(queryset, text: str):
    """Filter QUERYSET to post-mortems matching TEXT, best match first."""
    return narrowed(queryset, query_for(text), ranked=True)


def query_for(text: str) -> str | None:
    """TEXT as this database's full-text query (None: no word to look for)."""
    return tsquery(text) if connection.vendor == "postgresql" else fts5_query(text)


def narrowed(queryset, expression: str | None, *, ranked: bool):
    """QUERYSET narrowed to post-mortems matching EXPRESSION (query_for's), best match first
    if RANKED. EXPRESSION reaches the SQL as a parameter, as given."""
    if expression is None:
        return queryset.none()
    if connection.vendor == "postgresql":
        query = SearchQuery(expression, search_type="raw", config="english")
        found = queryset.filter(search_vector=query)
        if not ranked:
            return found
        return found.annotate(rank=SearchRank(F("search_vector"), query)).order_by(
            "-rank", "-created_at", "-id"
        )
    # A join the ORM cannot express: FTS5 drives the query through its own index and the
    # post-mortem is fetched by its unique search_key.
    where = [f"{FTS_TABLE}.rowid = postmortems_postmortem.search_key", f"{FTS_TABLE} MATCH %s"]
    if not ranked:
        return queryset.extra(tables=[FTS_TABLE], where=where, params=[expression])
    return queryset.extra(
        tables=[FTS_TABLE],
        # bm25 weighs every column alike by default; weigh them as the PostgreSQL document
        # does, so a title match ranks above a summary match on both.
        where=[*where, f"{FTS_TABLE}.rank MATCH %s"],
        params=[expression, f"bm25({FTS5_WEIGHTS})"],
        select={"rank": f"{FTS_TABLE}.rank"},
        order_by=["rank", "-created_at", "-id"],
    )


# Snippets -----------------------------------------------------------------------------
# The database marks the matched words with these two control characters; the caller
# escapes the text for HTML first and only then turns each pair into <mark>…</mark>, so
# nothing a person wrote can become markup (see `highlighted`).
MARK_START = "\x02"
MARK_END = "\x03"
SNIPPET_WORDS = 24
_MARKED = re.compile(f"{MARK_START}([^{MARK_START}{MARK_END}]*){MARK_END}")


def snippets(postmortem_ids: list[str], text: str) -> dict[str, str]:
    """For each of POSTMORTEM_IDS (a page of results), a short passage around the words of
    TEXT, the matched words between MARK_START and MARK_END: from the summary, impact or
    root cause where they match (the title is shown anyway), else from the title. One query
    for the page."""
    if not postmortem_ids:
        return {}
    table = PostMortem._meta.db_table
    marks = ", ".join(["%s"] * len(postmortem_ids))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            expression = tsquery(text)
            if expression is None:
                return {}
            options = (
                f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={SNIPPET_WORDS}, "
                'MinWords=8, MaxFragments=2, FragmentDelimiter=" … "'
            )
            cursor.execute(
                "SELECT id, "
                "ts_headline('english', concat_ws(' — ', summary, impact, root_cause), q, %s), "
                f"ts_headline('english', title, q, %s) FROM {table}, "
                f"to_tsquery('english', %s) q WHERE id IN ({marks})",
                # A title is short: all of it, its matches marked.
                [
                    options,
                    f"StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true",
                    expression,
                    *postmortem_ids,
                ],
            )
        else:
            expression = fts5_query(text)
            if expression is None:
                return {}
            # One snippet per column (0 is the title), the first that holds a match wins.
            columns = ", ".join(
                f"snippet({FTS_TABLE}, {column}, %s, %s, '…', %s)" for column in (1, 2, 3, 0)
            )
            cursor.execute(
                f"SELECT p.id, {columns} FROM {FTS_TABLE} "
                f"JOIN {table} p ON p.search_key = {FTS_TABLE}.rowid "
                f"WHERE {FTS_TABLE} MATCH %s AND p.id IN ({marks})",
                [*[MARK_START, MARK_END, SNIPPET_WORDS] * 4, expression, *postmortem_ids],
            )
        found = {}
        for pm_id, *passages in cursor.fetchall():
            marked = [p for p in passages if p and MARK_START in p]
            found[pm_id] = marked[0] if marked else ""
        return found


def highlighted(snippet: str) -> str:
    """SNIPPET as safe HTML: escaped whole, then each marked word wrapped in <mark>; a
    marker without its pair (a control character someone typed) is dropped."""
    escaped = escape(snippet)
    marked = _MARKED.sub(r"<mark>\1</mark>", escaped)
    return marked.replace(MARK_START, "").replace(MARK_END, "")
