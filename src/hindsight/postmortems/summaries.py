"""List rows of post-mortems, built from plain values.

A list page is the API's most frequent read. Building model instances, prefetch caches and
a validated schema for 20 rows cost more than the queries themselves, so the rows come
from .values() and two flat look-ups, and are written as the PostMortemSummary schema
(which still documents them in the OpenAPI schema) says.
"""

from collections import defaultdict

from django.utils import timezone

from hindsight.postmortems.models import UNFINISHED, Contributor, Tag, due_window

FIELDS = (
    "id",
    "incident_id",
    "title",
    "summary",
    "status",
    "published_at",
    "created_at",
    "updated_at",
    "version",
    "created_by__username",
    "incident__resolved_at",
    "action_items_total",
    "open_action_items",
)


def _grouped(model, column: str, ids: list[str]) -> dict[str, list[str]]:
    grouped = defaultdict(list)
    rows = model.objects.filter(postmortem_id__in=ids).order_by("position", "id")
    for postmortem_id, value in rows.values_list("postmortem_id", column):
        grouped[postmortem_id].append(value)
    return grouped


def summaries(rows: list[dict]) -> list[dict]:
    """ROWS (from .values(*FIELDS)) as the API's camelCase list items."""
    ids = [row["id"] for row in rows]
    contributors = _grouped(Contributor, "value", ids) if ids else {}
    tags = _grouped(Tag, "name", ids) if ids else {}
    now, window = timezone.now(), due_window()
    items = []
    for row in rows:
        resolved = row["incident__resolved_at"]
        due = resolved + window if resolved else None
        items.append(
            {
                "id": row["id"],
                "incidentId": row["incident_id"],
                "title": row["title"],
                "summary": row["summary"],
                "status": row["status"],
                "contributors": contributors.get(row["id"], []),
                "tags": tags.get(row["id"], []),
                "openActionItems": row["open_action_items"],
                "actionItemsTotal": row["action_items_total"],
                "publishedAt": row["published_at"],
                "createdAt": row["created_at"],
                "updatedAt": row["updated_at"],
                "createdBy": row["created_by__username"],
                "version": row["version"],
                "dueAt": due,
                "overdue": row["status"] in UNFINISHED and due is not None and due < now,
            }
        )
    return items
