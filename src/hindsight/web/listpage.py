"""The post-mortem list page's addresses: the clean query string its URL carries, the
column headings that sort it, and the link to the next page."""

from django.http import QueryDict
from django.urls import reverse

from hindsight.web.forms import SORT_LABELS

# A heading clicked for the first time sorts what reads best first: titles A–Z, the
# workflow from draft on, SEV1 first, and the newest dates.
FIRST_ORDER = {"title": "asc", "status": "asc", "severity": "asc"}

# The results table's columns; those named in SORT_LABELS sort it.
COLUMNS = (
    ("title", "Post-mortem"),
    ("status", "Status"),
    ("severity", "Severity"),
    ("incident", "Incident"),
    ("open", "Open items"),
    ("createdAt", "Created"),
    ("updatedAt", "Updated"),
)


def without_empty(query: QueryDict) -> QueryDict:
    """QUERY without its empty values (a form sends every field, filled or not)."""
    clean = QueryDict(mutable=True)
    for key, values in query.lists():
        kept = [value for value in values if value.strip()]
        if kept:
            clean.setlist(key, kept)
    return clean


def address(query: QueryDict) -> str:
    text = query.urlencode()
    return reverse("web:list") + (f"?{text}" if text else "")


def context(query: QueryDict, form, next_cursor: str | None) -> dict:
    """What the results need beside the rows: the sort headings, the search words (for the
    snippets), and the addresses of the first and the next page."""
    data = getattr(form, "cleaned_data", {})
    current = data.get("sort") or ("" if data.get("q") else "createdAt")
    order = data.get("order") or "desc"
    headings = {}
    for key, label in SORT_LABELS.items():
        if key == current:
            new_order = "desc" if order == "asc" else "asc"
            state = "ascending" if order == "asc" else "descending"
        else:
            new_order, state = FIRST_ORDER.get(key, "desc"), None
        target = query.copy()
        target.pop("cursor", None)
        target["sort"] = key
        if new_order == "desc":
            target.pop("order", None)
        else:
            target["order"] = new_order
        headings[key] = {"label": label, "url": address(target), "state": state}
    first = query.copy()
    first.pop("cursor", None)
    following = None
    if next_cursor:
        following = first.copy()
        following["cursor"] = next_cursor
    return {
        "result_columns": COLUMNS,
        "headings": headings,
        "first_page": address(first) if "cursor" in query else None,
        "next_page": address(following) if following else None,
    }
