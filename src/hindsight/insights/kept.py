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
TIMELESS_SECONDS at most; what time moves (the cheap counts of now) for KEPT_SECONDS. So the
costly part is computed once per write, not once a minute.
"""

import hashlib
import threading
from collections.abc import Callable

from django.core.cache import caches
from django.db.models import Max
from django.utils import timezone

from hindsight.incidents.models import Incident
from hindsight.insights.figures import Filters
from hindsight.postmortems.models import FactorCategory, PostMortem

KEPT_SECONDS = 60
# Bounds what no generation sees: a deleted draft stays counted this long for its readers.
TIMELESS_SECONDS = 600


def figure(compute: Callable[[Filters, object], dict], filters: Filters, user) -> dict:
    """COMPUTE(FILTERS, USER), or the answer kept from an earlier call with the same key;
    a figure in parts is joined from each part's kept answer."""
    parts = getattr(compute, "parts", None)
    if parts:
        return compute.join(*(figure(part, filters, user) for part in parts))
    return _kept(compute, filters, user)


def _kept(compute, filters: Filters, user) -> dict:
    """Requests that miss together wait for one computation instead of each running it: a
    dashboard's first view, or several people at once, costs one."""
    store = caches["insights"]
    timeless = getattr(compute, "timeless", False)
    key = _key(compute, filters, user, timeless=timeless)
    found = store.get(key)
    if found is not None:
        return found
    with _guard:
        computing = _computing.setdefault(key, threading.Lock())
    try:
        with computing:
            found = store.get(key)  # another thread may have computed it while this waited
            if found is None:
                found = compute(filters, user)
                store.set(key, found, TIMELESS_SECONDS if timeless else KEPT_SECONDS)
    finally:
        with _guard:
            _computing.pop(key, None)
    return found


# The computations in progress in this process, one lock per key.
_guard = threading.Lock()
_computing: dict[str, threading.Lock] = {}


def _key(compute, filters: Filters, user, *, timeless: bool) -> str:
    # What time moves is computed again each minute.
    minute = None if timeless else int(timezone.now().timestamp()) // KEPT_SECONDS
    who = (user.pk, user.role, tuple(user.identities))
    parts = (compute.__qualname__, filters, who, _generation(), minute)
    return "insight:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def _generation() -> tuple:
    """What changes whenever anything a figure counts is written: two index lookups and the
    (short) list of factor categories. (Deleting a draft changes neither: it counted only
    for those who could read it, for at most KEPT_SECONDS more.)"""
    reports = PostMortem.objects.aggregate(latest=Max("updated_at"))["latest"]
    incidents = Incident.objects.aggregate(latest=Max("updated_at"))["latest"]
    categories = tuple(FactorCategory.objects.values_list("slug", "name", "retired"))
    return (reports, incidents, categories)
