"""GET /api/insights/…: the figures across incidents, as JSON or (?format=csv) CSV."""

import csv
import io

from django.http import HttpResponse, JsonResponse
from ninja import Query, Router

from hindsight.incidents.models import Severity
from hindsight.insights import figures, kept
from hindsight.insights.filters import InsightFilters

router = Router(tags=["insights"])


CSV_ANSWER = {
    "responses": {
        200: {"content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}}}
    }
}


def _answer(filters: InsightFilters, body: dict, table) -> HttpResponse:
    if filters.format != "csv":
        return JsonResponse(body)
    header, rows = table(body)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")


@router.get(
    "/incidents",
    summary="Incidents per month by severity, and the share of near misses",
    openapi_extra=CSV_ANSWER,
)
def incidents(request, filters: Query[InsightFilters]):
    body = kept.figure(figures.incident_counts, filters.figures_filters(), request.auth)
    severities = [*Severity.values, "none"]

    def table(body):
        header = ["month", "total", "nearMisses", *severities]
        return header, [
            [m["month"], m["total"], m["nearMisses"], *(m["bySeverity"][s] for s in severities)]
            for m in body["byMonth"]
        ]

    return _answer(filters, body, table)


@router.get(
    "/durations",
    summary="Time to detect, acknowledge, mitigate and resolve: median, p90, histogram",
    openapi_extra=CSV_ANSWER,
)
def durations(request, filters: Query[InsightFilters]):
    body = kept.figure(figures.durations, filters.figures_filters(), request.auth)

    def table(body):
        rows = []
        for measure, figure in body.items():
            rows.append([measure, "all", figure["count"], figure["median"], figure["p90"]])
            rows += [[measure, m["month"], m["count"], m["median"], ""] for m in figure["byMonth"]]
        return ["measure", "month", "count", "median", "p90"], rows

    return _answer(filters, body, table)


@router.get(
    "/postmortems",
    summary="Post-mortems published on time, time to publish, drafts overdue now",
    openapi_extra=CSV_ANSWER,
)
def postmortems(request, filters: Query[InsightFilters]):
    body = kept.figure(figures.postmortem_timeliness, filters.figures_filters(), request.auth)

    def table(body):
        header = ["month", "resolved", "publishedOnTime", "onTimeShare", "medianToPublish"]
        return header, [[m[key] for key in header] for m in body["byMonth"]]

    return _answer(filters, body, table)


@router.get(
    "/action-items",
    summary="Action items opened and completed, open by age, by priority, overdue by owner",
    openapi_extra=CSV_ANSWER,
)
def action_items(request, filters: Query[InsightFilters]):
    body = kept.figure(figures.action_item_figures, filters.figures_filters(), request.auth)

    def table(body):
        header = ["month", "opened", "completed"]
        return header, [[m[key] for key in header] for m in body["byMonth"]]

    return _answer(filters, body, table)


@router.get(
    "/factors",
    summary="Contributing-factor categories and services ranked by incidents",
    openapi_extra=CSV_ANSWER,
)
def factors(request, filters: Query[InsightFilters]):
    body = kept.figure(figures.factor_figures, filters.figures_filters(), request.auth)

    def table(body):
        rows = [
            ["category", c["slug"], c["name"], c["incidents"], "", ""] for c in body["categories"]
        ]
        rows += [
            ["service", s["service"], s["service"], s["incidents"], "", ""]
            for s in body["services"]
        ]
        # The count in the incidents column, then one row per report listed.
        recurrences = body["possibleRecurrences"]
        rows.append(["possibleRecurrences", "", "", recurrences["count"], "", ""])
        rows += [
            ["possibleRecurrence", r["id"], r["title"], "", r["matchId"], r["matchTitle"]]
            for r in recurrences["postmortems"]
        ]
        return ["kind", "key", "name", "incidents", "matchId", "matchTitle"], rows

    return _answer(filters, body, table)
