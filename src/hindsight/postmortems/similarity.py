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


def compared(body: dict, *, services: list[str] | None) -> str:
    """The `compared` column for a rendered BODY whose incident names SERVICES."""
    factors = body.get("contributingFactors") or []
    texts = [f.get("factor") for f in factors]
    return json.dumps(
        {
            "words": sorted(words_of(body["title"], body.get("rootCause"), *texts)),
            "root": sorted(words_of(body.get("rootCause"))),
            "services": sorted({s.lower() for s in services or []}),
            "tags": sorted({t.lower() for t in body.get("tags") or []}),
            "categories": sorted({f["category"] for f in factors if f.get("category")}),
        },
        separators=(",", ":"),
    )
