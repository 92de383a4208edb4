"""The Insights page: the figures across incidents, a chart for each, a table under each
chart as its text alternative, and a CSV link for each. The figures come from the same
functions as /api/insights/… (insights/figures.py), with the same filters."""

import calendar
from urllib.parse import urlencode

from csp.decorators import csp_replace
from django.http import Http404, HttpResponse
from django.shortcuts import render
from pydantic import ValidationError

from hindsight.incidents.models import IncidentType, Severity
from hindsight.insights import figures, kept
from hindsight.insights.filters import InsightFilters
from hindsight.web import charts
from hindsight.web.views import web_view

FILTER_NAMES = ("from", "to", "service", "severity", "tag", "type")


def _filters(request) -> tuple[figures.Filters, str, str | None]:
    """The filters the page was asked for, their query string (no empty values), and what
    was wrong with them (then nothing is filtered)."""
    given = {
        name: request.GET[name].strip()
        for name in FILTER_NAMES
        if request.GET.get(name, "").strip()
    }
    try:
        parsed = InsightFilters.model_validate(given)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'filters'}: {error['msg']}"
            for error in exc.errors()
        )
        return figures.Filters(), "", problems
    return parsed.figures_filters(), urlencode(given), None


@web_view
def insights(request):
    filters, query, problem = _filters(request)
    user = request.user
    context = {
        "query": query,
        "problem": problem,
        "given": {name: request.GET.get(name, "") for name in FILTER_NAMES},
        "severities": Severity.values,
        "types": IncidentType.values,
        "incidents": _with_days(kept.figure(figures.incident_counts, filters, user)),
        "durations": [
            (charts.DURATION_LABELS[name], figure)
            for name, figure in kept.figure(figures.durations, filters, user).items()
        ],
        "postmortems": kept.figure(figures.postmortem_timeliness, filters, user),
        "items": kept.figure(figures.action_item_figures, filters, user),
        "recurrences": kept.figure(figures.recurrences, filters, user),
        "buckets": [charts._bucket_label(low, high) for low, high in figures.DURATION_BUCKETS],
        "ages": ["< 1 week", "1–4 weeks", "1–3 months", "> 3 months"],
    }
    return render(request, "web/insights.html", context)


@web_view
@csp_replace({"style-src": ["'unsafe-inline'"], "script-src": ["'none'"]})
def insight_chart(request, name: str):
    """One chart as an SVG image (its inline style allowed on this answer only)."""
    if name not in charts.CHARTS:
        raise Http404(f"There is no chart {name}.")
    figure, draw = charts.CHARTS[name]
    filters, _, _ = _filters(request)
    drawn = draw(kept.figure(figure, filters, request.user))
    response = HttpResponse(drawn, content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-cache"
    return response


def _with_days(body: dict) -> dict:
    """Each month's first and last day, for the links to the lists a count counts."""
    for month in body["byMonth"]:
        year, number = map(int, month["month"].split("-"))
        last = calendar.monthrange(year, number)[1]
        month["first"], month["last"] = f"{month['month']}-01", f"{month['month']}-{last:02d}"
    return body
