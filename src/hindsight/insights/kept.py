"""The insights figures, kept while nothing they count has changed.

A figure reads every incident and report of the period, which at 100,000 reports costs a
few hundred milliseconds however well indexed; a dashboard asks for the same figures again
and again, and they change only when something is written. So each answer is kept (in the
process's memory) under a key made of the figure, its filters, who asks (what a person may
read decides what is counted) and the data's generation: the latest change of any report
(its items and factors are written with it) or incident, and the factor categories. A write
changes the generation, so the next request computes afresh.

A figure that moves with time alone (an item's age, a draft falling overdue) is kept in two
parts (its `parts`): what changes only when something it counts is written (marked
`timeless`: months, medians, rankings, the costly part) is kept until a write, or for
TIMELESS_SECONDS at most; what time moves (the counts of now) is worked out again each
minute. So the costly part is computed once per write, not once a minute. When the minute
has moved, the answer kept from an earlier minute (STALE_SECONDS ago at most) is served
while one thread works out this minute's in the background: no request waits for what time
alone moved. These counts move over hours and days (a due date passing, an item's age
bucket, a draft's due window), so an answer a few minutes old says nearly the same; while
requests keep coming it is at most two minutes old.
"""

import hashlib
import logging
import threading
from collections.abc import Callable

from django.core.cache import caches
from django.db import connections
from django.db.models import Max
from django.utils import timezone

from hindsight.incidents.models import Incident
from hindsight.insights.figures import Filters
from hindsight.postmortems.models import FactorCategory, PostMortem

logger = logging.getLogger(__name__)

KEPT_SECONDS = 60
# The oldest answer of what time moves that is served while this minute's is worked out.
STALE_SECONDS = 600
# Bounds what no generation sees: a deleted draft stays counted this long for its readers.
TIMELESS_SECONDS = 600


def figure(compute: Callable[[Filters, object], dict], filters: Filters, user) -> dict:
    """COMPUTE(FILTERS, USER), or the answer kept from an earlier call with the same key;
    a figure in parts is joined from each part's kept answer (the data's generation looked
    up once for them all)."""
    generation = _generation()
    parts = getattr(compute, "parts", None) or (compute,)
    answers = [_kept(part, filters, user, generation) for part in parts]
    return compute.join(*answers) if len(parts) > 1 else answers[0]


def _kept(compute, filters: Filters, user, generation: tuple) -> dict:
    """The kept answer, if it is this minute's (or timeless); an answer of an earlier
    minute (STALE_SECONDS at most) at once, while one thread works out this minute's in the
    background, so no request waits for what time alone moved; otherwise computed now."""
    timeless = getattr(compute, "timeless", False)
    key = _key(compute, filters, user, generation)
    minute = None if timeless else int(timezone.now().timestamp()) // KEPT_SECONDS
    found = caches["insights"].get(key)
    if found is not None:
        kept_minute, answer = found
        if kept_minute == minute:
            return answer
        if minute is not None and minute - kept_minute <= STALE_SECONDS // KEPT_SECONDS:
            _refresh_later(key, compute, filters, user, minute)
            return answer
    return _computed(key, compute, filters, user, minute)


def _computed(key: str, compute, filters: Filters, user, minute: int | None) -> dict:
    """COMPUTE's answer for MINUTE, kept. Requests that miss together wait for one
    computation instead of each running it: a dashboard's first view, or several people at
    once, costs one."""
    store = caches["insights"]
    with _guard:
        computing = _computing.setdefault(key, threading.Lock())
    try:
        with computing:
            found = store.get(key)  # another thread may have computed it while this waited
            if found is not None and found[0] == minute:
                return found[1]
            answer = compute(filters, user)
            # A timed answer is kept past its minute, to be served while the next is made.
            store.set(
                key,
                (minute, answer),
                TIMELESS_SECONDS if minute is None else STALE_SECONDS + KEPT_SECONDS,
            )
    finally:
        with _guard:
            _computing.pop(key, None)
    return answer


def _refresh_later(key: str, compute, filters: Filters, user, minute: int) -> None:
    """Work out KEY's answer for MINUTE in the background, once however many ask."""
    with _guard:
        if key in _refreshing:
            return
        _refreshing.add(key)

    def refresh() -> None:
        try:
            _computed(key, compute, filters, user, minute)
        except Exception:  # the next request computes it itself
            logger.exception("Could not refresh an insight in the background")
        finally:
            with _guard:
                _refreshing.discard(key)

    run_in_background(refresh)


def run_in_background(work: Callable[[], None]) -> None:
    def in_thread() -> None:
        try:
            work()
        finally:
            connections.close_all()  # this thread's own

    threading.Thread(target=in_thread, name="insights-refresh", daemon=True).start()


# The computations in progress in this process, one lock per key, and the refreshes.
_guard = threading.Lock()
_computing: dict[str, threading.Lock] = {}
_refreshing: set[str] = set()


def _key(compute, filters: Filters, user, generation: tuple) -> str:
    who = (user.pk, user.role, tuple(user.identities))
    parts = (compute.__qualname__, filters, who, generation)
    return "insight:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def _generation() -> tuple:
    """What changes whenever anything a figure counts is written: two index lookups and the
    (short) list of factor categories. (Deleting a draft changes neither: it counted only
    for those who could read it, for at most TIMELESS_SECONDS more.)"""
    reports = PostMortem.objects.aggregate(latest=Max("updated_at"))["latest"]
    incidents = Incident.objects.aggregate(latest=Max("updated_at"))["latest"]
    categories = tuple(FactorCategory.objects.values_list("slug", "name", "retired"))
    return (reports, incidents, categories)
