"""GET of one post-mortem, served from a per-worker cache of its rendered JSON.

Loading a report costs six ORM queries and a schema validation, while most reads are of
reports that have not changed since the last read. The cache key holds everything the JSON
depends on — the report's version (bumped by every change, its action items' included),
its incident's version, today's date (action items turn overdue by date) and whether the
report itself is overdue right now — so a changed report is never served from an old
entry: a change makes a new key, and unused keys age out of the bounded cache.
"""

import json

from django.core.cache import caches
from django.utils import timezone
from ninja.responses import NinjaJSONEncoder

from hindsight.postmortems import services
from hindsight.postmortems.models import UNFINISHED, PostMortem, Status, due_window

CACHE = "reports"
_HEADER = (
    "version",
    "status",
    "created_by_id",
    "incident__version",
    "incident__resolved_at",
)


def render(postmortem: PostMortem) -> bytes:
    """The post-mortem as GET /api/postmortems/{id} writes it."""
    from hindsight.postmortems.export_formats import as_api_dict

    return json.dumps(as_api_dict(postmortem), cls=NinjaJSONEncoder).encode()


def report_json(user, postmortem_id: str) -> tuple[bytes, int]:
    """(JSON body, version) of a post-mortem USER may read; NotFound otherwise."""
    try:
        header = PostMortem.objects.values(*_HEADER).get(pk=postmortem_id)
    except PostMortem.DoesNotExist:
        header = None
    if header is None or not _plainly_readable(user, header):
        # Missing, or a draft whose contributors decide: the full check, which raises.
        postmortem = services.get_postmortem_for(user, postmortem_id)
        return render(postmortem), postmortem.version
    now = timezone.now()
    resolved = header["incident__resolved_at"]
    overdue = (
        header["status"] in UNFINISHED and resolved is not None and resolved + due_window() < now
    )
    key = (
        f"pm:{postmortem_id}:{header['version']}:{header['incident__version']}"
        f":{timezone.localdate(now).isoformat()}:{int(overdue)}"
    )
    cache = caches[CACHE]
    body = cache.get(key)
    if body is None:
        postmortem = services.get_postmortem_for(user, postmortem_id)
        body = render(postmortem)
        if postmortem.version == header["version"]:  # not changed between the two reads
            cache.set(key, body)
    return body, header["version"]


def _plainly_readable(user, header: dict) -> bool:
    return user.is_admin or header["status"] != Status.DRAFT or header["created_by_id"] == user.pk
