"""Export in every format the API and the CLI offer: Markdown (export.py), a standalone
printable HTML page, a PDF made from that page, and the JSON record.

WeasyPrint is imported only inside to_pdf: it pulls in Pango through cffi, which is slow
to load and may be missing on a server that never makes PDFs.
"""

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.cache import caches
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from hindsight.lib.errors import DomainError, Invalid
from hindsight.lib.markdown import Renderings
from hindsight.postmortems import document, export
from hindsight.postmortems.models import PostMortem
from hindsight.postmortems.sections import SECTION_NAMES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Format:
    name: str
    extension: str
    content_type: str


FORMATS = {
    f.name: f
    for f in (
        Format("markdown", "md", "text/markdown; charset=utf-8"),
        Format("html", "html", "text/html; charset=utf-8"),
        Format("pdf", "pdf", "application/pdf"),
        Format("json", "json", "application/json"),
    )
}


class PdfUnavailable(DomainError):
    status = 503
    code = "pdf_unavailable"


class TooLongToPrint(DomainError):
    status = 422
    code = "too_long_to_print"


def get_format(name: str) -> Format:
    found = FORMATS.get((name or "").lower())
    if found is None:
        allowed = list(FORMATS)
        raise Invalid(
            f"Unknown export format {name!r}; choose one of: {', '.join(allowed)}.",
            fields={"format": f"one of {', '.join(allowed)}"},
            allowed=allowed,
        )
    return found


def render(postmortem: PostMortem, name: str, *, site: str | None = None) -> bytes:
    """POSTMORTEM in format NAME, as the bytes of the file a user downloads. SITE (the
    address people open Hindsight at, lib/http.site_url) makes the HTML and PDF link back
    to the report and to its related post-mortems."""
    fmt = get_format(name)
    if fmt.name == "pdf":
        return to_pdf(postmortem, site=site)
    if fmt.name == "html":
        return to_html(postmortem, site=site).encode("utf-8")
    text = {"markdown": export.to_markdown, "json": to_json}[fmt.name](postmortem)
    return text.encode("utf-8")


@dataclass(frozen=True)
class Export:
    """An export before it is made: its entity tag (the opaque part, unquoted), known
    without rendering so that a conditional GET answers 304 at once, and how to make it."""

    tag: str
    make: Callable[[], bytes]


def _tagged(version: int, shown: str) -> str:
    """The tag of an export that shows, besides the report at VERSION, what a new version
    does not follow (SHOWN, as text): the version and a digest of that."""
    return f"{version}-{hashlib.sha256(shown.encode('utf-8')).hexdigest()[:16]}"


def from_document(user, postmortem_id: str, name: str) -> Export:
    """The JSON or Markdown file of a post-mortem USER may read, from the stored document
    (one query) without loading its rows. Markdown shows the report's own fields alone, so
    its tag is the version, as GET's is. JSON also shows what moves with time alone (the
    report's and its items' `overdue`): its tag is the version and a digest of the file,
    which costs little more to make than to digest."""
    if name == "json":
        body = document.read(user, postmortem_id)
        text = json_text(body)
        return Export(_tagged(body["version"], text), lambda: text.encode("utf-8"))
    body, stored = document.read_with_markdown(user, postmortem_id)
    return Export(
        str(body["version"]),
        lambda: export.stored_markdown(postmortem_id, body, stored).encode("utf-8"),
    )


def of(postmortem: PostMortem, name: str, *, site: str | None = None) -> Export:
    """The HTML or PDF file of POSTMORTEM (see render). Besides the document, whose version
    moves only when GET's answer does, they show the incident (title, severity, services,
    times: the overview) and link to SITE; their tag is the version and a digest of those,
    so it moves whenever the file does."""
    shown = json.dumps([name, site, _overview(postmortem)], ensure_ascii=False)
    tag = _tagged(postmortem.version, shown)
    make = partial(render, postmortem, name, site=site)
    return Export(tag, _printed_once(postmortem.id, tag, make) if name == "pdf" else make)


def _printed_once(postmortem_id: str, tag: str, make: Callable[[], bytes]) -> Callable[[], bytes]:
    """MAKE, kept in the exports cache under TAG: a PDF is the same file for every reader of
    that tag (the caller's right to read it is checked before), and costs seconds to print."""

    def cached() -> bytes:
        exports = caches["exports"]
        key = f"pdf:{postmortem_id}:{tag}"
        body = exports.get(key)
        if body is None:
            body = make()
            try:
                exports.set(key, body)
            except OSError:  # a full or read-only disk costs the next reader a print, no more
                log.warning("could not keep the PDF of %s in the exports cache", postmortem_id)
        return body

    return cached


def filename(postmortem: PostMortem, name: str) -> str:
    return filename_for(postmortem.id, name)


def filename_for(postmortem_id: str, name: str) -> str:
    return f"{postmortem_id}.{get_format(name).extension}"


# JSON ----------------------------------------------------------------------------------


def to_json(postmortem: PostMortem) -> str:
    return json_text(document.written(postmortem))


def json_text(body: dict) -> str:
    """GET's body, indented for a file (the API's encoder, so timestamps read as in GET)."""
    return document.encode(body, ensure_ascii=False, indent=2) + "\n"


# HTML ----------------------------------------------------------------------------------


def _markdown(renderings: Renderings):
    """Markdown to HTML from the report's stored RENDERINGS (a text not among them is
    rendered); lib/markdown sanitises with nh3, so only its output is marked safe."""

    def md(text: str | None) -> SafeString:
        return mark_safe(renderings.html(text))  # noqa: S308

    return md


def _utc(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def _duration(delta: timedelta | None) -> str:
    if delta is None or delta.total_seconds() < 0:
        return ""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min"]
    return " ".join(p for p in parts if p) if (days or hours or minutes) else "under 1 min"


def _label(value) -> str:
    """IN_PROGRESS → In progress."""
    return str(value).replace("_", " ").capitalize() if value else ""


def _overview(postmortem: PostMortem) -> list[tuple[str, str]]:
    incident = postmortem.incident
    end = incident.resolved_at or incident.mitigated_at
    duration = end - incident.started_at if end and incident.started_at else None
    rows = [
        ("Incident", f"{incident.title} ({incident.id})"),
        ("Date", _utc(incident.started_at)),
        ("Duration", _duration(duration)),
        ("Severity", incident.severity or ""),
        ("Services", ", ".join(incident.services or [])),
        ("Detection", postmortem.section("detection_method") or ""),
        ("Incident commander", postmortem.section("incident_commander") or ""),
        ("Participants", ", ".join(postmortem.section("participants"))),
        ("Fix", postmortem.section("hotfix_reference") or ""),
        ("Status", _label(postmortem.status)),
        ("Published", _utc(postmortem.published_at)),
        ("Author", postmortem.created_by.username),
        ("Contributors", ", ".join(postmortem.contributors)),
        ("Tags", ", ".join(postmortem.tags)),
    ]
    return [(label, value) for label, value in rows if value]


def _prose(md, pairs: list[tuple[str, str | None]]) -> list[tuple[str, SafeString]]:
    """(heading, Markdown) pairs with text, rendered."""
    return [(heading, md(text)) for heading, text in pairs if text and text.strip()]


PHASES = (
    ("detection", "Detection"),
    ("response", "Response"),
    ("communication", "Communication"),
    ("remediation", "Remediation"),
)


def _number(value, unit: str = "") -> str:
    if value is None:
        return ""
    text = f"{value:,.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
    return f"{text} {unit}".strip()


def _impact_rows(md, analysis: dict | None) -> list[tuple[str, str, SafeString | str]]:
    """(area, measure, value) rows of the impact analysis; prose values rendered."""
    if not analysis:
        return []
    users = analysis.get("users") or {}
    business = analysis.get("business") or {}
    engineering = analysis.get("engineering") or {}
    currency = business.get("currency") or ""
    rows = [
        ("Users", "Affected", _number(users.get("totalAffected"))),
        ("Users", "Duration of impact", _number(users.get("durationMinutes"), "min")),
        ("Users", "Segments", md(users.get("segments"))),
        ("Users", "Geography", md(users.get("geography"))),
        ("Business", "Revenue loss", _number(business.get("revenueLoss"), currency)),
        ("Business", "Support tickets", _number(business.get("supportTickets"))),
        ("Business", "Cancellations", _number(business.get("cancellations"))),
        ("Business", "SLA credits", _number(business.get("slaCredits"), currency)),
        ("Business", "Reputation", md(business.get("reputation"))),
        ("Engineering", "Teams involved", ", ".join(engineering.get("teamsInvolved") or [])),
        ("Engineering", "Engineer hours", _number(engineering.get("engineerHours"), "h")),
        ("Engineering", "Opportunity cost", md(engineering.get("opportunityCost"))),
    ]
    return [row for row in rows if row[2]]


def _report_url(site: str | None, postmortem_id: str) -> str | None:
    return f"{site}/postmortems/{postmortem_id}" if site else None


def html_context(postmortem: PostMortem, site: str | None = None) -> dict:
    """Everything the export page shows, with user Markdown already rendered and sanitised;
    with SITE, the addresses of the report and its related post-mortems there."""
    s = {name: postmortem.section(name) for name in SECTION_NAMES}
    what = s["what_happened"] or {}
    rca = s["root_cause_analysis"] or {}
    resolution = s["resolution"] or {}
    lessons = s["lessons_learned"] or {}
    appendix = s["appendix"] or {}
    five = s["five_whys"] or {}
    md = _markdown(document.renderings(postmortem))
    return {
        "pm": postmortem,
        "report_url": _report_url(site, postmortem.id),
        "overview": _overview(postmortem),
        "last_changed": _utc(postmortem.updated_at),
        "executive_summary": md(s["executive_summary"]),
        "trigger": md(s["trigger"]),
        "summary": md(postmortem.summary),
        "impact": md(postmortem.impact),
        "impact_rows": _impact_rows(md, s["impact_analysis"]),
        "what_happened": _prose(
            md,
            [
                ("What broke", what.get("whatBroke")),
                ("What users saw", what.get("whatUsersSaw")),
                ("What the logs showed", what.get("logs")),
                ("What monitoring detected", what.get("monitoring")),
            ],
        ),
        "root_cause": md(postmortem.root_cause),
        "root_cause_analysis": _prose(
            md,
            [
                ("Technical root cause", rca.get("technicalCause")),
                ("Why it existed", rca.get("whyItExisted")),
                ("Why tests did not catch it", rca.get("whyNotCaught")),
            ],
        ),
        "contributing_factors": [
            {
                "factor": f["factor"],
                "how": md(f.get("howItContributed")),
                "why": md(f.get("whyItExisted")),
            }
            for f in s["contributing_factors"]
        ],
        "five_whys_problem": md(five.get("problem")),
        "five_whys": [
            {"why": w["why"], "answer": md(w.get("answer"))} for w in five.get("whys") or []
        ],
        "resolution": _prose(
            md,
            [
                ("How it was fixed", resolution.get("howFixed")),
                ("Workarounds", resolution.get("workarounds")),
            ],
        ),
        "timeline": [
            {
                "time": event.time,
                "at": _utc(event.at),
                "kind": _label(event.kind),
                "description": event.description,
                "who": event.who or "",
                "notes": event.notes or "",
                "unconfirmed": event.unconfirmed,
            }
            for event in postmortem.timeline
        ],
        "action_items": [
            {
                "description": item.description,
                "why": md(item.why),
                "owner": item.owner or "unassigned",
                "status": _label(item.status),
                "done": item.status == "DONE",
                "priority": _label(item.priority),
                "horizon": _label(item.horizon),
                "category": _label(item.category),
                "due": item.due_date.isoformat() if item.due_date else "",
                "unconfirmed": item.unconfirmed,
            }
            for item in postmortem.action_item_list
        ],
        "went_well": _prose(
            md, [(label, (s["went_well"] or {}).get(key)) for key, label in PHASES]
        ),
        "went_wrong": _prose(
            md, [(label, (s["went_wrong"] or {}).get(key)) for key, label in PHASES]
        ),
        "lucky": md(s["where_we_got_lucky"]),
        "lessons": _prose(
            md,
            [
                ("Technical", lessons.get("technical")),
                ("Process", lessons.get("process")),
                ("Communication", lessons.get("communication")),
            ],
        ),
        "recommendations": md(s["recommendations"]),
        "communication": [
            {
                "audience": c["audience"],
                "message": md(c.get("message")),
                "when": c.get("when") or "",
                "channel": c.get("channel") or "",
            }
            for c in s["communication"]
        ],
        "acknowledgments": md(s["acknowledgments"]),
        "related": [
            {"id": related, "url": _report_url(site, related)}
            for related in appendix.get("relatedPostmortems") or []
        ],
        "references": [
            {"label": r["label"], "url": r["url"], "safe": r["url"].startswith(("http:", "https:"))}
            for r in appendix.get("references") or []
        ],
        "appendix": _prose(
            md, [("Metrics", appendix.get("metrics")), ("Log excerpts", appendix.get("logs"))]
        ),
        "custom_sections": [
            {"heading": c["heading"], "body": md(c.get("body"))} for c in s["custom_sections"]
        ],
    }


def to_html(postmortem: PostMortem, site: str | None = None) -> str:
    """One standalone page (inline CSS, no external assets) that prints well."""
    return render_to_string("postmortems/export/report.html", html_context(postmortem, site))


# PDF -----------------------------------------------------------------------------------


def refuse_url(url: str, *args, **kwargs):
    """WeasyPrint URL fetcher that fetches nothing. Every resource the page needs is inline;
    an image in user Markdown must neither make the server request an arbitrary address
    (internal services, cloud metadata) nor hang the export on a slow host, and file: URLs
    would read the server's own disk."""
    raise ValueError(f"not fetching {url[:200]}: exports load no external resources")


def to_pdf(postmortem: PostMortem, site: str | None = None) -> bytes:
    page = to_html(postmortem, site)
    if len(page) > settings.PDF_MAX_CHARS:
        raise TooLongToPrint(
            f"This report's printable page has {len(page):,} characters, over the"
            f" {settings.PDF_MAX_CHARS:,} a PDF is made from (HINDSIGHT_PDF_MAX_CHARS):"
            " export it as HTML and print that from a browser, or as Markdown.",
            fields={"format": f"pdf of at most {settings.PDF_MAX_CHARS:,} characters"},
        )
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango or its libraries are missing
        raise PdfUnavailable(
            "PDF export is not available on this server: WeasyPrint could not be loaded"
            f" ({exc}). Install it with `pip install 'hindsight[pdf]'` and Pango from the"
            " system's packages, or export as HTML and print that to PDF.",
            fields={"format": "pdf unavailable"},
        ) from exc
    document = weasyprint.HTML(string=page, url_fetcher=_fetcher(weasyprint))
    return document.write_pdf()


def _fetcher(weasyprint):
    """A fetcher that refuses everything, in the form this WeasyPrint takes: a URLFetcher
    (version 66 on; it reads the fetcher's settings) or, before that, a plain function."""
    base = getattr(weasyprint.urls, "URLFetcher", None)
    if base is None:
        return refuse_url

    class Refusing(base):
        def fetch(self, url, headers=None):
            refuse_url(url)

    return Refusing()
