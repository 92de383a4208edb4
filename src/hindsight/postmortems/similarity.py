"""What the related post-mortems compare of a report, kept with its stored document.

Each write stores, beside the report's document (document.columns), the significant words
of its title, root cause and contributing factors, its incident's services, its tags and
its factors' categories: `compared`. Ranking related reports then reads each of
up to 200 candidates as one short column of the row the full-text query finds, instead of
its factors and tags in two more queries and its words found again by a regular expression
(related.py says how they are scored). A change to what this holds raises RENDER_VERSION,
and the stale rows are written again as their documents are.
"""

import json
import re

_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
# Words too common in post-mortems to say two are alike.
STOPWORDS = frozenset(
    """
    about after again against also because been before being between both cause caused could
    did does doing down during each from further have having here into itself just more most
    only other over same should some such than that their them then there these they this
    those through under until very were what when where which while whom with would your
    incident issue problem service services error errors failure failed users user team time
    root since within without
    """.split()
)


def words_of(*texts: str | None) -> set[str]:
    """The significant words of TEXTS: four letters or more, lower-cased, not common."""
    return {
        w for text in texts if text for w in (m.lower() for m in _WORD.findall(text))
    } - STOPWORDS


def comparable(
    *,
    title: str,
    root_cause: str | None,
    factors: list[tuple[str | None, str | None]],
    services: list[str] | None,
    tags: list[str] | None,
) -> dict:
    """What the score compares of a report with TITLE, ROOT_CAUSE, FACTORS ((text, category
    slug) pairs), its incident's SERVICES and TAGS: the one rule, for the stored column and
    for a report read from its rows alike."""
    return {
        "words": sorted(words_of(title, root_cause, *(text for text, _ in factors))),
        "root": sorted(words_of(root_cause)),
        "services": sorted({s.lower() for s in services or []}),
        "tags": sorted({t.lower() for t in tags or []}),
        "categories": sorted({slug for _, slug in factors if slug}),
    }


def compared(body: dict, *, services: list[str] | None) -> str:
    """The `compared` column for a rendered BODY whose incident names SERVICES."""
    factors = [(f.get("factor"), f.get("category")) for f in body.get("contributingFactors") or []]
    values = comparable(
        title=body["title"],
        root_cause=body.get("rootCause"),
        factors=factors,
        services=services,
        tags=body.get("tags"),
    )
    return json.dumps(values, separators=(",", ":"))
