"""The Insights page's charts: SVG drawn on the server by pygal, with no JavaScript.

Each chart is its own SVG answer, shown with <img>: an image runs no script, and its inline
<style> (pygal styles by CSS) is allowed on that answer alone. pygal still writes a small
configuration <script> even with `js=[]`; it is removed, with the comments that name
pygal's site, so the SVG refers to nothing outside itself (tests/test_web_insights.py).
"""

import re

import pygal
from pygal.style import Style

from hindsight.incidents.models import Severity
from hindsight.insights import figures

_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2937",
    foreground_strong="#111827",
    foreground_subtle="#6b7280",
    font_family="system-ui, -apple-system, 'Segoe UI', sans-serif",
    colors=("#b91c1c", "#ea580c", "#ca8a04", "#2563eb", "#6b7280", "#059669"),
    title_font_size=16,
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
)
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _options(**extra) -> dict:
    return {
        "js": [],  # no script from elsewhere
        "style": _STYLE,
        "disable_xml_declaration": False,
        "width": 800,
        "height": 360,
        "legend_at_bottom": True,
        "print_values": False,
        "show_y_guides": True,
        "x_label_rotation": 0,
        "truncate_label": -1,
        **extra,
    }


def _svg(chart) -> bytes:
    text = chart.render(is_unicode=True)
    return _COMMENT.sub("", _SCRIPT.sub("", text)).encode("utf-8")


def _month_labels(months: list[str]) -> list[str]:
    # Many months: label every third, so the labels never overlap.
    step = 1 if len(months) <= 12 else 3
    return [m if n % step == 0 else "" for n, m in enumerate(months)]


def incidents(body: dict) -> bytes:
    chart = pygal.StackedBar(**_options(title="Incidents per month by severity"))
    months = [m["month"] for m in body["byMonth"]]
    chart.x_labels = _month_labels(months)
    for severity in [*Severity.values, "none"]:
        label = "No severity" if severity == "none" else severity
        chart.add(label, [m["bySeverity"][severity] for m in body["byMonth"]])
    return _svg(chart)


def _bucket_label(low: int, high: int | None) -> str:
    def say(seconds: int) -> str:
        if seconds >= figures.DAY:
            return f"{seconds // figures.DAY} d"
        if seconds >= figures.HOUR:
            return f"{seconds // figures.HOUR} h"
        return f"{seconds // figures.MINUTE} min"

    if high is None:
        return f"> {say(low)}"
    return f"< {say(high)}" if low == 0 else f"{say(low)}–{say(high)}"


DURATION_LABELS = {
    "timeToDetect": "Detect",
    "timeToAcknowledge": "Acknowledge",
    "timeToMitigate": "Mitigate",
    "timeToResolve": "Resolve",
}


def durations(body: dict) -> bytes:
    chart = pygal.Bar(**_options(title="How long incidents took (number of incidents)"))
    buckets = body["timeToDetect"]["histogram"]
    chart.x_labels = [_bucket_label(b["low"], b["high"]) for b in buckets]
    for name, label in DURATION_LABELS.items():
        chart.add(label, [b["count"] for b in body[name]["histogram"]])
    return _svg(chart)


def postmortems(body: dict) -> bytes:
    chart = pygal.Line(
        **_options(title="Post-mortems published on time (%)", range=(0, 100), dots_size=3)
    )
    chart.x_labels = _month_labels([m["month"] for m in body["byMonth"]])
    chart.add(
        "On time",
        [
            None if m["onTimeShare"] is None else round(100 * m["onTimeShare"])
            for m in body["byMonth"]
        ],
    )
    return _svg(chart)


def action_items(body: dict) -> bytes:
    chart = pygal.Bar(**_options(title="Action items opened and completed per month"))
    chart.x_labels = _month_labels([m["month"] for m in body["byMonth"]])
    chart.add("Opened", [m["opened"] for m in body["byMonth"]])
    chart.add("Completed", [m["completed"] for m in body["byMonth"]])
    return _svg(chart)


CHARTS = {
    "incidents": (figures.incident_counts, incidents),
    "durations": (figures.durations, durations),
    "postmortems": (figures.postmortem_timeliness, postmortems),
    "action-items": (figures.action_item_figures, action_items),
}
