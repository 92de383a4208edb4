"""Related and recurring post-mortems: "this happened before".

The database's full-text ranking (FTS5 bm25, PostgreSQL ts_rank) over the indexed text picks
up to CANDIDATES other post-mortems the caller may read that share words with this one's
title, root cause and contributing factors. Each candidate is then scored here, in Python
and so alike on both databases, from what the two reports share:

    score = 0.55 × text + 0.20 × services + 0.15 × factor categories + 0.10 × tags

where each part is the Dice overlap 2|A∩B| / (|A| + |B|) of the two sets (0 when both are
empty): `text` over the significant words (four letters or more, not common English words)
of title, root cause and contributing factors. A score is between 0 and 1.

A possible recurrence: the best match scores above RECURRENCE_THRESHOLD and had at least one
action item, all of them done before this report's incident started. That is the signal
that the fix did not fix it.
"""

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from hindsight.lib.errors import NotFound
from hindsight.postmortems import search
from hindsight.postmortems.models import (
    ActionItem,
    Factor,
    ItemStatus,
    PostMortem,
    Tag,
    readable_by,
)

CANDIDATES = 200
RECURRENCE_THRESHOLD = 0.5
WEIGHTS = {"text": 0.55, "services": 0.20, "categories": 0.15, "tags": 0.10}
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


@dataclass
class Report:
    id: str
    title: str
    status: str
    started_at: datetime | None
    words: set[str]
    root_words: set[str]
    services: set[str]
    tags: set[str]
    categories: dict[str, str]  # slug → name
    items: list[dict] = field(default_factory=list)
    factor_texts: tuple[str, ...] = ()

    def as_typed(self, title: str | None, root_cause: str | None) -> "Report":
        """This report with the title and root cause someone is typing in the editor, not
        yet saved (None keeps the stored one)."""
        title = self.title if title is None else title
        if root_cause is None:
            return replace(
                self, title=title, words=words_of(title, *self.factor_texts) | self.root_words
            )
        return replace(
            self,
            title=title,
            words=words_of(title, root_cause, *self.factor_texts),
            root_words=words_of(root_cause),
        )


def words_of(*texts: str | None) -> set[str]:
    return {
        w for text in texts if text for w in (m.lower() for m in _WORD.findall(text))
    } - STOPWORDS


def _dice(a: set, b: set) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else 0.0


def _load(ids: list[str]) -> dict[str, Report]:
    """The reports ID with what the score compares, in four queries."""
    factors: dict[str, list[tuple[str, str | None, str | None]]] = {}
    for pm, text, slug, name in Factor.objects.filter(postmortem_id__in=ids).values_list(
        "postmortem_id", "text", "category_id", "category__name"
    ):
        factors.setdefault(pm, []).append((text, slug, name))
    tags: dict[str, set[str]] = {}
    for pm, name in Tag.objects.filter(postmortem_id__in=ids).values_list("postmortem_id", "name"):
        tags.setdefault(pm, set()).add(name.lower())
    items: dict[str, list[dict]] = {}
    for row in (
        ActionItem.objects.filter(postmortem_id__in=ids)
        .order_by("position", "id")
        .values("postmortem_id", "id", "description", "owner", "status", "completed_at")
    ):
        items.setdefault(row.pop("postmortem_id"), []).append(row)
    reports = {}
    for pk, title, status, root, started, services in PostMortem.objects.filter(
        pk__in=ids
    ).values_list(
        "pk", "title", "status", "root_cause", "incident__started_at", "incident__services"
    ):
        own = factors.get(pk, [])
        reports[pk] = Report(
            id=pk,
            title=title,
            status=status,
            started_at=started,
            words=words_of(title, root, *(text for text, _, _ in own)),
            root_words=words_of(root),
            services={s.lower() for s in services or []},
            tags=tags.get(pk, set()),
            categories={slug: name for _, slug, name in own if slug},
            items=items.get(pk, []),
            factor_texts=tuple(text for text, _, _ in own if text),
        )
    return reports


def _score(subject: Report, other: Report) -> tuple[float, list[str]]:
    parts = {
        "text": _dice(subject.words, other.words),
        "services": _dice(subject.services, other.services),
        "categories": _dice(set(subject.categories), set(other.categories)),
        "tags": _dice(subject.tags, other.tags),
    }
    score = round(sum(WEIGHTS[k] * v for k, v in parts.items()), 4)
    reasons = [f"same service: {s}" for s in sorted(subject.services & other.services)]
    reasons += [
        f"shared factor category: {other.categories[slug]}"
        for slug in sorted(set(subject.categories) & set(other.categories))
    ]
    shared_root = sorted(subject.root_words & other.root_words)
    if shared_root:
        reasons.append(f"similar root cause: {' '.join(shared_root[:4])}")
    elif subject.words & other.words:
        reasons.append(f"shared words: {' '.join(sorted(subject.words & other.words)[:4])}")
    reasons += [f"shared tag: {t}" for t in sorted(subject.tags & other.tags)]
    return score, reasons


def related(
    user,
    postmortem_id: str,
    *,
    limit: int = 5,
    typed_title: str | None = None,
    typed_root_cause: str | None = None,
) -> list[dict]:
    """The post-mortems most like POSTMORTEM_ID that USER may read, best first; with TYPED_*,
    as if its title and root cause were what the editor holds now."""
    if not PostMortem.objects.filter(readable_by(user), pk=postmortem_id).exists():
        raise NotFound(f"There is no post-mortem {postmortem_id}.", fields={"id": postmortem_id})
    subject = _load([postmortem_id])[postmortem_id]
    if typed_title is not None or typed_root_cause is not None:
        subject = subject.as_typed(typed_title, typed_root_cause)
    terms = sorted(subject.words, key=lambda w: (-len(w), w))[:24]
    candidates = list(
        search.any_of(
            PostMortem.objects.filter(readable_by(user)).exclude(pk=postmortem_id), terms
        ).values_list("pk", flat=True)[:CANDIDATES]
    )
    others = _load(candidates)
    # A candidate the ranking found by a stem alone (PostgreSQL: "exports" finds "export")
    # may share nothing the score counts: it is not related.
    scored = sorted(
        (
            row
            for row in (
                (*_score(subject, others[pk]), others[pk]) for pk in candidates if pk in others
            )
            if row[0] > 0
        ),
        key=lambda row: (-row[0], row[2].id),
    )[:limit]
    out = []
    for rank, (score, reasons, other) in enumerate(scored):
        done_at = _all_done_before(other, subject.started_at)
        recurrence = rank == 0 and score > RECURRENCE_THRESHOLD and done_at is not None
        out.append(
            {
                "id": other.id,
                "title": other.title,
                "status": other.status,
                "incidentStartedAt": other.started_at,
                "score": score,
                "reasons": reasons,
                "openActionItems": [
                    {"id": i["id"], "description": i["description"], "owner": i["owner"]}
                    for i in other.items
                    if i["status"] != ItemStatus.DONE
                ],
                "possibleRecurrence": recurrence,
                "itemsCompletedAt": done_at if recurrence else None,
            }
        )
    return out


def _all_done_before(report: Report, started: datetime | None) -> datetime | None:
    """When the last of REPORT's action items was done, if it had any and all were done
    before STARTED; else None."""
    if not report.items or started is None:
        return None
    if any(i["status"] != ItemStatus.DONE or i["completed_at"] is None for i in report.items):
        return None
    last = max(i["completed_at"] for i in report.items)
    return last if last < started else None
