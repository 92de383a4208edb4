"""Markdown export: the report as a document a team can keep next to its other docs.

GitHub-flavoured and deterministic. The core layout is fixed (title, Summary, Impact,
Root Cause, Timeline, Action Items); every other section follows under a readable
heading. Values prose cannot carry (numbers, event kinds, item categories, tags, ids of
related records, the incident) travel in a YAML front-matter block.

A timeline event or action item a template suggested and nobody confirmed is never shown as
fact: its line starts with UNCONFIRMED_MARK, and `unconfirmed: true` travels in the front
matter (an import of the export gives it back unconfirmed).

Nothing is lost on the way back in: after writing the body, the exporter reads it back
with the importer and, for any field the body did not reproduce exactly (a summary
holding a line that reads as a heading, a description starting with "- ", a pipe in a
name…), adds the exact value under `exact:` in the front matter.
"""

import hashlib
import json
import logging
import re
from pathlib import Path

from markdown_it import MarkdownIt

from hindsight.lib.writers import write_if_free
from hindsight.postmortems import document, fields
from hindsight.postmortems.markdown import frontmatter, importer
from hindsight.postmortems.models import ItemStatus, PostMortem
from hindsight.postmortems.schemas import PostMortemCreate

logger = logging.getLogger(__name__)

HORIZONS = [
    ("IMMEDIATE", "Immediate"),
    ("SHORT_TERM", "Short-term"),
    ("LONG_TERM", "Long-term"),
    (None, "No horizon"),
]
REVIEW_PARTS = [
    ("detection", "Detection"),
    ("response", "Response"),
    ("communication", "Communication"),
    ("remediation", "Remediation"),
]
# Sections after the core, in reading order: (alias, heading, [(path, sub-heading)]).
# A section with no parts is one prose text; paths not listed travel in front matter.
GROUPS = [
    ("executiveSummary", "Executive Summary", None),
    ("trigger", "Trigger", None),
    (
        "whatHappened",
        "What Happened",
        [
            ("whatBroke", "What Broke"),
            ("whatUsersSaw", "What Users Saw"),
            ("logs", "What the Logs Showed"),
            ("monitoring", "What Monitoring Detected"),
        ],
    ),
    (
        "impactAnalysis",
        "Impact Analysis",
        [
            ("users.segments", "User Segments"),
            ("users.geography", "Geography"),
            ("business.reputation", "Reputation"),
            ("engineering.opportunityCost", "Opportunity Cost"),
        ],
    ),
    (
        "rootCauseAnalysis",
        "Root Cause Analysis",
        [
            ("technicalCause", "Technical Root Cause"),
            ("whyItExisted", "Why It Existed"),
            ("whyNotCaught", "Why Tests Did Not Catch It"),
        ],
    ),
    ("contributingFactors", "Contributing Factors", "factors"),
    ("fiveWhys", "Five Whys", "whys"),
    (
        "resolution",
        "Resolution",
        [("howFixed", "How It Was Fixed"), ("workarounds", "Workarounds")],
    ),
    ("wentWell", "What Went Well", REVIEW_PARTS),
    ("wentWrong", "What Went Wrong", REVIEW_PARTS),
    ("whereWeGotLucky", "Where We Got Lucky", None),
    (
        "lessonsLearned",
        "Lessons Learned",
        [("technical", "Technical"), ("process", "Process"), ("communication", "Communication")],
    ),
    ("recommendations", "Recommendations", None),
    ("communication", "Communication", "table"),
    ("acknowledgments", "Acknowledgments", None),
    (
        "appendix",
        "Appendix",
        [("references", "References"), ("metrics", "Metrics"), ("logs", "Logs")],
    ),
]
OVERVIEW = [
    ("detectionMethod", "Detection method"),
    ("incidentCommander", "Incident commander"),
    ("hotfixReference", "Hotfix reference"),
]
# Fields of events and items the body writes; the others travel in front matter.
EVENT_BODY = {"time", "description", "who", "notes"}
ITEM_BODY = {"description", "owner", "status", "priority", "dueDate", "horizon"}
FRONT_ONLY = {"tags", "participants"}
UNCONFIRMED_MARK = "(Unconfirmed template suggestion)"

# Only the blocks matter to _is_safe_block: without the inline pass its parse is linear
# (markdown-it's link scan over a long run of `[` is not).
_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).disable("inline")
_BLOCK_START = re.compile(r"^(\s*)([-+*>#=|~`]|\d+[.)]|\[[ xX]\])")


def _one_line(text: str) -> str:
    """Timeline and checklist entries are single lines; keep a multi-line value readable."""
    return " ".join(text.split())


def _inline(text: str) -> str:
    """One line that cannot start a block of its own (a list, a quote, a heading)."""
    line = _one_line(text)
    match = _BLOCK_START.match(line)
    if match:
        line = line[: match.start(2)] + "\\" + line[match.start(2) :]
    return line


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\r\n", "\n").replace("\n", "<br>").strip() or " "


def action_item_line(item) -> str:
    box = "x" if item["status"] == ItemStatus.DONE else " "
    owner = item["owner"] or "unassigned"
    due = item["dueDate"] or "no due date"
    status = item["status"]
    state = "" if status in (ItemStatus.DONE, ItemStatus.TODO) else f" · {status}"
    return (
        f"- [{box}] {_marked(item, _inline(item['description']))} ({item['priority']})"
        f" — owner: {_one_line(owner)} · due: {due}{state}"
    )


# A line that may start a heading (ATX or setext underline), a fence or an HTML block: the
# only blocks that can add a top-level heading or run past the blank line into the next one.
# Lists, quotes, tables and paragraphs all end there. Deeper indents are code or nested.
_MAY_LEAVE_SECTION = re.compile(r"^ {0,3}(?:#|=+\s*$|-+\s*$|```|~~~|<)", re.MULTILINE)


def _is_safe_block(text: str) -> bool:
    """Whether TEXT, placed under a heading, stays inside its section when read back."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    if not _MAY_LEAVE_SECTION.search(lines):
        return True  # most texts: no parse needed
    return _parsed_safe(text)


def _parsed_safe(text: str) -> bool:
    probe = f"{text}\n\n# END\n"
    tokens = _MD.parse(probe)
    top_headings = [t for t in tokens if t.type == "heading_open" and t.level == 0]
    if len(top_headings) != 1:
        return False
    return top_headings[0].map[0] == probe.count("\n") - 1


def _block(text: str) -> str:
    """A text as the body of a section: as written when that is safe, else with its
    heading-like lines escaped, else fenced (the exact text then travels in `exact:`)."""
    if not text.strip():
        return importer.NONE_TEXT if text == "" else _fence(text)
    if text.strip() != importer.NONE_TEXT and _is_safe_block(text):
        return text
    escaped = "\n".join(
        re.sub(r"^(\s{0,3})(#|=+\s*$|-+\s*$)", r"\1\\\2", line) for line in text.split("\n")
    )
    if _is_safe_block(escaped) and escaped.strip():
        return escaped
    return _fence(text)


def _fence(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"~+", text)), default=0)
    fence = "~" * max(3, longest + 1)
    body = text.replace("\r", "")
    return f"{fence}text\n{body}\n{fence}"


def record(postmortem: PostMortem) -> dict:
    """The post-mortem as a create body would state it (camelCase), every field present:
    what an export must carry and an import must give back."""
    return record_of(document.render(postmortem))


def record_of(out: dict) -> dict:
    """`record` from the API's body of a post-mortem (its stored document will do)."""
    keys = [
        field.alias or name
        for name, field in PostMortemCreate.model_fields.items()
        if name not in ("template", "status")
    ]
    data = {key: out[key] for key in keys if key in out}
    event_keys = [f.api_name for f in fields.writable(fields.EVENT_FIELDS)]
    item_keys = [f.api_name for f in fields.writable(fields.ITEM_FIELDS)]
    data["timeline"] = [{k: e.get(k) for k in event_keys} for e in out["timeline"]]
    data["actionItems"] = [{k: i.get(k) for k in item_keys} for i in out["actionItems"]]
    return data


# The export code itself: a stored export made by other code (an upgrade) is not reused.
_CODE = hashlib.sha256(
    b"".join(
        path.read_bytes()
        for path in sorted([Path(__file__), *Path(importer.__file__).parent.glob("*.py")], key=str)
    )
).hexdigest()[:16]


def _digest(data: dict) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return f"{_CODE}:{hashlib.sha256(text.encode()).hexdigest()[:32]}\n"


def stored_markdown(postmortem_id: str, body: dict, stored: str) -> str:
    """The Markdown export of a finished BODY (document.read_with_markdown), reusing STORED
    when it was made from the same record by the same code. Rendering checks the text by
    reading it back (render), which costs several times a read; so the first export of each
    version stores its text, when that waits for no writer (a read never queues for it)."""
    data = record_of(body)
    key = _digest(data)
    if stored.startswith(key):
        return stored[len(key) :]
    text = render(data)
    _store(postmortem_id, key + text)
    return text


def _store(postmortem_id: str, markdown: str) -> bool:
    """Keep MARKDOWN on the report, if that waits for no writer; whether it was kept."""
    with write_if_free() as free:
        if free:
            row = PostMortem.objects.select_for_update(skip_locked=True).filter(pk=postmortem_id)
            return bool(
                PostMortem.objects.filter(pk__in=list(row.values_list("pk", flat=True))).update(
                    markdown=markdown
                )
            )
    return False


def store_due_markdown(limit: int = 200) -> int:
    """Store the Markdown export of up to LIMIT reports that have none (a write or a fresh
    rendering of the document clears it: document.columns), the latest changed first; returns
    how many. `hindsight worker` runs it with its periodic checks, so an export reads the
    text instead of rendering it, and the render's read-back costs no request."""
    done = 0
    due = (
        PostMortem.objects.filter(markdown="")
        .order_by("-updated_at")
        .values_list("pk", *document.READ_COLUMNS)[:limit]
    )
    for pk, *values in due:
        try:
            data = record_of(document.body_from(tuple(values), pk))
            done += _store(pk, _digest(data) + render(data))
        except Exception:  # one report's export never stops the worker's other checks
            logger.exception("Could not store the Markdown export of %s", pk)
    return done


def to_markdown(postmortem: PostMortem) -> str:
    return render(record(postmortem))


def render(data: dict) -> str:
    """The Markdown document for a record (see `record`)."""
    body, front, order = _body(data)
    if order is not None:
        front["actionItemOrder"] = order
    draft = importer.parse(frontmatter.dump(front) + body)
    exact = _differences(data, draft.data)
    if exact:
        front["exact"] = exact
    return frontmatter.dump(front) + body


def _differences(want: dict, got: dict) -> dict:
    exact = {}
    for key, value in want.items():
        if key == "incidentId" or got.get(key) == value:
            continue
        rows = got.get(key)
        if (
            key in ("timeline", "actionItems")
            and isinstance(rows, list)
            and len(rows) == len(value)
        ):
            for index, (mine, theirs) in enumerate(zip(value, rows, strict=True)):
                for field, field_value in mine.items():
                    if theirs.get(field) != field_value:
                        exact[f"{key}.{index}.{field}"] = field_value
        else:
            exact[key] = value
    return exact


def _body(data: dict) -> tuple[str, dict, list[int] | None]:
    # An imported document's own keys first: ours are written over them (see OWN_KEYS).
    front: dict = importer.front_matter_keys(data.get("frontMatter") or {})
    front.update({frontmatter.MARKER: frontmatter.VERSION, "incidentId": data.get("incidentId")})
    for key in FRONT_ONLY:
        if data.get(key):
            front[key] = data[key]
    parts = [f"# {_inline(data['title'])}", "## Summary", _block(data["summary"])]
    if data["impact"] is not None:
        parts += ["## Impact", _block(data["impact"])]
    if data["rootCause"] is not None:
        parts += ["## Root Cause", _block(data["rootCause"])]
    events = data["timeline"]
    if events:
        parts += ["## Timeline", _timeline(events)]
        extra = [_front_extra(e, EVENT_BODY) for e in events]
        if any(extra):
            front["timeline"] = extra
    items = data["actionItems"]
    order = None
    if items:
        text, order = _action_items(items)
        parts += ["## Action Items", text]
        listed = [items[i] for i in order] if order else items
        extra = [_front_extra(i, ITEM_BODY) for i in listed]
        if any(extra):
            front["actionItems"] = extra
        if order == list(range(len(items))):
            order = None
    overview = [(key, label) for key, label in OVERVIEW if data.get(key) is not None]
    if overview:
        lines = [f"- **{label}:** {_inline(data[key])}" for key, label in overview]
        parts += ["## Incident Overview", "\n".join(lines)]
    for alias, heading, parts_spec in GROUPS:
        value = data.get(alias)
        if value is None or value == []:
            continue
        parts += _section(alias, heading, parts_spec, value, front)
    handled = {a for a, _, _ in GROUPS} | {k for k, _ in OVERVIEW} | FRONT_ONLY
    for alias in importer.SECTION_ALIASES:
        if alias not in handled and alias != "customSections" and data.get(alias) not in (None, []):
            front[alias] = data[alias]  # a section this layout does not know yet
    if data["contributors"]:
        parts += ["## Contributors", "\n".join(f"- {_inline(c)}" for c in data["contributors"])]
    for section in data.get("customSections") or []:
        parts += [f"## {_inline(section['heading'])}", _block(section["body"])]
    return "\n\n".join(parts) + "\n", front, order


def _front_extra(entry: dict, in_body: set[str]) -> dict:
    """What of an entry the body does not carry; unconfirmed only when it is (the rest of
    the time it is false, as an import assumes)."""
    return {
        k: v
        for k, v in entry.items()
        if k not in in_body and v is not None and not (k == "unconfirmed" and v is False)
    }


def _marked(entry: dict, text: str) -> str:
    return f"{UNCONFIRMED_MARK} {text}" if entry.get("unconfirmed") else text


def _timeline(events: list[dict]) -> str:
    if any(e.get("who") or e.get("notes") for e in events):
        rows = ["| Time | Event | Who | Notes |", "| --- | --- | --- | --- |"]
        for event in events:
            cells = [
                event["time"],
                _marked(event, event["description"]),
                event["who"] or "",
                event["notes"] or "",
            ]
            rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        return "\n".join(rows)
    return "\n".join(f"- {e['time']} - {_marked(e, _one_line(e['description']))}" for e in events)


def _action_items(items: list[dict]) -> tuple[str, list[int] | None]:
    if not any(i.get("horizon") for i in items):
        return "\n".join(action_item_line(i) for i in items), None
    parts, order = [], []
    for horizon, heading in HORIZONS:
        group = [n for n, item in enumerate(items) if item.get("horizon") == horizon]
        if group:
            order += group
            parts += [f"### {heading}", "\n".join(action_item_line(items[n]) for n in group)]
    return "\n\n".join(parts), order


def _get(value, path: str):
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _without(value, paths: list[str]):
    """VALUE without the leaves at PATHS and without null leaves; sub-objects stay (even
    empty), so a present-but-empty part is told from a missing one."""
    if not isinstance(value, dict):
        return value
    out = {}
    for key, inner in value.items():
        if key in paths:
            continue
        nested = [p.split(".", 1)[1] for p in paths if p.startswith(f"{key}.")]
        if isinstance(inner, dict):
            out[key] = _without(inner, nested)
        elif inner is not None and inner != []:
            out[key] = inner
    return out


def _section(alias: str, heading: str, spec, value, front: dict) -> list[str]:
    out = [f"## {heading}"]
    if spec is None:
        return out + [_block(value)]
    if spec == "factors":
        for factor in value:
            out.append(f"### {_inline(factor['factor'])}")
            if factor.get("howItContributed") is not None:
                out += ["#### How It Contributed", _block(factor["howItContributed"])]
            if factor.get("whyItExisted") is not None:
                out += ["#### Why It Existed", _block(factor["whyItExisted"])]
        return out
    if spec == "whys":
        if value.get("problem") is not None:
            out += ["### Problem", _block(value["problem"])]
        for number, why in enumerate(value.get("whys") or [], start=1):
            out.append(f"### {number}. {_one_line(why['why'])}")
            if why.get("answer") is not None:
                out.append(_block(why["answer"]))
        return out
    if spec == "table":
        rows = ["| Audience | When | Channel | Message |", "| --- | --- | --- | --- |"]
        for entry in value:
            cells = [entry.get(k) or "" for k in ("audience", "when", "channel", "message")]
            rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        return out + ["\n".join(rows)]
    paths = [path for path, _ in spec]
    for path, sub in spec:
        part = _get(value, path)
        if part is None or part == []:
            continue
        if path == "references":
            links = [f"- [{r['label']}]({r['url']})" for r in part]
            out += [f"### {sub}", "\n".join(links)]
        else:
            out += [f"### {sub}", _block(part)]
    rest = _without(value, paths)
    if rest:
        front[alias] = rest
    return out
