"""Markdown post-mortems, ours or anyone's, read into Hindsight's structure.

`parse(text)` is pure: it reads the document with markdown-it tokens (never regexes over
the whole text), finds the title, cuts the document at its headings (ATX or setext, any
level), gives each heading a meaning (headings.py) and reads each section in the way its
meaning calls for: prose kept as written, timelines from tables, bullets, "HH:MM - text"
lines or one heading per time, action items from checklists, bullets, numbered lists or
tables. Whatever cannot be mapped becomes a custom section, heading and Markdown body as
written: nothing is dropped. A document exported by Hindsight names itself in its front
matter; its structured values and exact texts are then read back from there.

`import_markdown(text, by=…)` creates the post-mortem (and its incident when none is
given) through the services.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone
from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin
from pydantic import ValidationError

from hindsight.incidents.models import Incident
from hindsight.incidents.services import ID_PATTERN, create_incident
from hindsight.lib.errors import Invalid, PermissionDenied
from hindsight.lib.schema import api_name
from hindsight.lib.times import is_valid_event_time, parse_timestamp, resolve_event_time
from hindsight.lib.writers import write_transaction
from hindsight.postmortems import fields, limits
from hindsight.postmortems.markdown import frontmatter, headings
from hindsight.postmortems.markdown.times import (
    Clock,
    ReadTime,
    clean,
    first_date,
    read_time,
    zone_of,
)
from hindsight.postmortems.schemas import PostMortemCreate
from hindsight.postmortems.sections import SECTION_NAMES, Sections, to_stored
from hindsight.postmortems.services import check_list_limits, create_postmortem

# The importer reads the document's blocks and the source text of their inline parts,
# never the parsed inline tokens: without the inline pass, parsing is linear (markdown-it's
# link-label scan is quadratic on a run of "[").
_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_MD.use(front_matter_plugin)
_MD.disable("inline")
_INLINE = MarkdownIt("commonmark")  # for one short line at a time (see _only_link)

NONE_TEXT = "_None._"  # how the exporter writes an empty (not missing) text
PROSE_TARGETS = {
    "summary",
    "impact",
    "rootCause",
    "executiveSummary",
    "trigger",
    "whereWeGotLucky",
    "recommendations",
    "acknowledgments",
}
GROUP_TARGETS = {
    "wentWell",
    "wentWrong",
    "lessonsLearned",
    "whatHappened",
    "rootCauseAnalysis",
    "resolution",
    "impactAnalysis",
    "appendix",
}
SHORT_TARGETS = {"detectionMethod", "incidentCommander", "hotfixReference"}
ITEM_DEFAULTS = {f.name: f.default for f in fields.ITEM_FIELDS if f.default is not None}
MAX_DESCRIPTION = 20_000
MAX_PROSE = 200_000


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


SECTION_ALIASES = {_camel(name): name for name in SECTION_NAMES}


# The document as sections -------------------------------------------------------------


@dataclass
class Node:
    """One heading and what follows it up to the next heading of its level or above."""

    heading: str
    level: int
    lines: list[str]  # the heading's own source lines (ATX line, or text + underline)
    body: list[str] = field(default_factory=list)  # own lines, before the first child
    children: list["Node"] = field(default_factory=list)

    def own(self) -> str:
        return _trim(self.body)

    def source(self) -> str:
        """The body and every sub-section, as written."""
        out = list(self.body)
        for child in self.children:
            out += child.lines + child.body_and_children()
        return _trim(out)

    def body_and_children(self) -> list[str]:
        out = list(self.body)
        for child in self.children:
            out += child.lines + child.body_and_children()
        return out


def _trim(lines: list[str]) -> str:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end])


def normalise_newlines(text: str) -> str:
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")


@dataclass
class Outline:
    front: dict
    preamble: list[str]
    headings: list[Node]  # flat, in document order


_ITALIC_HEADING = re.compile(r"_([^_*\n]{1,60})_|\*([^_*\n]{1,60})\*")


def outline(text: str) -> Outline:
    lines = text.split("\n")
    tokens = _MD.parse(text)
    front: dict = {}
    start = 0
    found: list[tuple[int, int, int, str]] = []  # (first line, end line, level, text)
    real = 1  # the level of the last heading written as one
    for index, token in enumerate(tokens):
        if token.type == "front_matter" and token.map:
            front = frontmatter.load(token.content)
            start = token.map[1]
        elif token.type == "heading_open" and token.level == 0 and token.map:
            inline = tokens[index + 1]
            found.append((token.map[0], token.map[1], int(token.tag[1]), inline.content))
            real = int(token.tag[1])
        elif token.type == "paragraph_open" and token.level == 0 and token.map:
            # "_Lessons learned_" alone on its line: a heading written in italics.
            name = _ITALIC_HEADING.fullmatch(tokens[index + 1].content.strip())
            label = name and (name.group(1) or name.group(2))
            if label and headings.meaning(label) is not None:
                found.append((token.map[0], token.map[1], min(real + 1, 6), label))
    nodes = []
    for position, (first, end, level, heading) in enumerate(found):
        stop = found[position + 1][0] if position + 1 < len(found) else len(lines)
        nodes.append(Node(heading.strip(), level, lines[first:end], lines[end:stop]))
    preamble = lines[start : found[0][0] if found else len(lines)]
    return Outline(front, preamble, nodes)


def tree(nodes: list[Node]) -> list[Node]:
    roots: list[Node] = []
    stack: list[Node] = []
    for node in nodes:
        node.children = []
        while stack and stack[-1].level >= node.level:
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


# Blocks inside one section ------------------------------------------------------------


@dataclass
class Block:
    kind: str  # "paragraph", "list", "table", "other"
    lines: list[str]  # source lines
    tokens: list  # the block's tokens, for lists and tables
    ordered: bool = False
    start: int = 0  # its first line in the text, and the line after its last
    end: int = 0


def blocks(text: str) -> list[Block]:
    lines = text.split("\n")
    tokens = _MD.parse(text)
    out: list[Block] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.level != 0 or token.nesting == -1:
            index += 1
            continue
        end = index
        if token.nesting == 1:
            depth = 0
            for end in range(index, len(tokens)):
                depth += tokens[end].nesting
                if depth == 0:
                    break
        group = tokens[index : end + 1]
        span = token.map or [0, 0]
        kind = {
            "paragraph_open": "paragraph",
            "bullet_list_open": "list",
            "ordered_list_open": "list",
            "table_open": "table",
        }.get(token.type, "other")
        ordered = token.type == "ordered_list_open"
        out.append(Block(kind, lines[span[0] : span[1]], group, ordered, span[0], span[1]))
        index = end + 1
    return out


@dataclass
class Item:
    head: str  # the first paragraph's inline source
    rest: str  # everything else in the item (nested lists, paragraphs, code), dedented
    raw: str


def list_items(block: Block, source_lines_offset: int, all_lines: list[str]) -> list[Item]:
    items = []
    tokens = block.tokens
    for index, token in enumerate(tokens):
        if token.type != "list_item_open" or token.level != 1:
            continue
        first, last = token.map
        raw_lines = all_lines[source_lines_offset + first : source_lines_offset + last]
        head = ""
        head_end = first + 1
        if index + 2 < len(tokens) and tokens[index + 1].type == "paragraph_open":
            head = tokens[index + 2].content
            head_end = tokens[index + 1].map[1]
        marker = len(token.markup) + 1
        rest_lines = all_lines[source_lines_offset + head_end : source_lines_offset + last]
        indent = _content_indent(raw_lines[0] if raw_lines else "", marker)
        rest = _trim([_dedent(line, indent) for line in rest_lines])
        items.append(Item(head, rest, _trim(raw_lines)))
    return items


def _content_indent(first_line: str, marker: int) -> int:
    match = re.match(r"^(\s*)([-*+]|\d+[.)])(\s*)", first_line)
    if not match:
        return marker
    return len(match.group(1)) + len(match.group(2)) + max(1, min(len(match.group(3)), 4))


def _dedent(line: str, indent: int) -> str:
    spaces = len(line) - len(line.lstrip(" "))
    return line[min(spaces, indent) :]


def table_rows(block: Block) -> tuple[list[str], list[list[str]]]:
    header: list[str] = []
    rows: list[list[str]] = []
    row: list[str] = []
    in_head = False
    for index, token in enumerate(block.tokens):
        if token.type == "thead_open":
            in_head = True
        elif token.type == "thead_close":
            in_head = False
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close":
            (header.extend(row) if in_head else rows.append(row))
        elif token.type in ("th_open", "td_open"):
            row.append(block.tokens[index + 1].content.strip())
    return header, rows


def _cell(text: str) -> str:
    return re.sub(r"<br\s*/?>", "\n", text)


# Reading ------------------------------------------------------------------------------


@dataclass
class Draft:
    """What the document says, in the API's camelCase form."""

    ours: bool
    data: dict = field(default_factory=dict)
    recognised: list[str] = field(default_factory=list)
    custom: list[str] = field(default_factory=list)
    incident_date: date | None = None
    severity: str | None = None
    started_at: datetime | None = None  # "Start: 2021-03-04 10:00 UTC"
    resolved_at: datetime | None = None  # "End: …", "Resolved: …"
    clock: Clock = field(default_factory=Clock)

    def recognise(self, name: str) -> None:
        if name not in self.recognised:
            self.recognised.append(name)

    def add_custom(self, heading: str, body: str) -> None:
        heading = " ".join(heading.split())[:300] or "Untitled"
        if not self.ours and body.strip():
            body = _take_follow_ups(self, body, heading)
            if not body.strip():
                return  # it held only follow-ups, now action items that name it
        self.data.setdefault("customSections", []).append(
            {"heading": heading, "body": body[:MAX_PROSE]}
        )
        self.custom.append(heading)

    def set_text(self, path: str, text: str, *, append: bool = True) -> None:
        text = "" if text.strip() == NONE_TEXT else text
        if not self.ours:
            text = _take_follow_ups(self, _take_moments(self, text), None)
        keys = path.split(".")
        target = self.data
        for key in keys[:-1]:
            target = target.setdefault(key, {})
            if not isinstance(target, dict):
                return
        old = target.get(keys[-1])
        if append and old:
            text = f"{old}\n\n{text}" if text else old
        target[keys[-1]] = text[:MAX_PROSE]
        self.recognise(keys[0])


def parse(text: str) -> Draft:
    """The document's content as a draft post-mortem (no database access)."""
    text = normalise_newlines(text)
    doc = outline(text)
    ours = doc.front.get(frontmatter.MARKER) == frontmatter.VERSION
    draft = Draft(ours=ours)
    draft.clock.text = text  # timelines' dates are read against the whole document's
    nodes = doc.headings
    preamble = list(doc.preamble)
    label = None if ours else _label_heading(nodes)
    if label is not None:  # "# Title:" or "# Postmortems" above the real title
        nodes = [n for n in nodes if n is not label]
        preamble += label.body
    title_node = _title_node(nodes, doc.front) if not (label and _has_text(label)) else None
    title = None
    if isinstance(doc.front.get("title"), str | int | float) and not ours:
        title = str(doc.front["title"])
    if title_node is not None:
        nodes = [n for n in nodes if n is not title_node]
        if title is None:
            title = title_node.heading
    if title_node is not None:
        preamble += title_node.body
    if title is None:
        title, preamble = _first_line_title(preamble)
    draft.data["title"] = " ".join((title or "Untitled").split())[:300] or "Untitled"
    if not ours:
        _read_front_matter(draft, doc.front)
        draft.incident_date = draft.incident_date or first_date(draft.data["title"])
        if draft.incident_date:
            draft.clock.day = draft.incident_date
    roots = tree(nodes)
    _read_preamble(draft, _trim(preamble), roots)
    for node in roots:
        _guarded(draft, node, None)
    if ours:
        _apply_front_matter(draft, doc.front)
    else:
        _guess_severity(draft, text)
        draft.incident_date = draft.incident_date or first_date(text)
    _normalise(draft)
    # A section counts as recognised only if something was read into its field.
    draft.recognised = [name for name in draft.recognised if _was_read(draft, name)]
    return draft


def _was_read(draft: Draft, name: str) -> bool:
    if name == "date":
        return draft.incident_date is not None
    if name == "severity":
        return draft.severity is not None
    if name in ("startedAt", "resolvedAt"):
        return getattr(draft, _snake(name)) is not None
    return _has_content(draft.data.get(name))


def _has_content(value) -> bool:
    if isinstance(value, dict):
        return any(_has_content(v) for v in value.values())
    if isinstance(value, list):
        return bool(value)
    return value is not None and value != ""


_LABEL_TITLE = re.compile(r"^(incident |report |post ?mortem |document )?(title|name)$")
_COLLECTION = re.compile(
    r"^(post ?mortems|post mortems|incidents|incident (reports|log)|postmortem reports"
    r"|outages|retrospectives)$"
)


def _label_heading(nodes: list[Node]) -> Node | None:
    """A first H1 that is not the report's title: a label ("Title:") whose text follows,
    or a collection's name ("Postmortems") above a lower heading that is the title."""
    if not nodes or nodes[0].level != 1:
        return None
    first = nodes[0]
    name = headings.normalise(first.heading)
    if (
        _LABEL_TITLE.match(name)
        and first.heading.rstrip().endswith(":")
        or (_LABEL_TITLE.match(name) and _has_text(first))
    ):
        return first
    if _COLLECTION.match(name) and len(nodes) > 1 and nodes[1].level > 1:
        if not any(n.level == 1 for n in nodes[1:]):
            return first
    return None


def _has_text(node: Node) -> bool:
    return any(line.strip() for line in node.body)


def _title_node(nodes: list[Node], front: dict) -> Node | None:
    if not nodes:
        return None
    first = nodes[0]
    top = min(n.level for n in nodes)
    if first.level != top:
        return None
    same_level = [n for n in nodes if n.level == top]
    if first.level == 1 or len(same_level) == 1:
        if headings.meaning(first.heading) is None or len(same_level) == 1 and first.level == 1:
            return first
    return None


_MARKUP = re.compile(r"[*_`#>]++|" + headings.LINK)


def _first_line_title(preamble: list[str]) -> tuple[str | None, list[str]]:
    for index, line in enumerate(preamble):
        plain = _MARKUP.sub(r"\1", line).strip()
        if plain:
            sentence = re.split(r"(?<=[.!?])\s", plain, maxsplit=1)[0]
            return sentence[:300], preamble if index >= 0 else preamble
    return None, preamble


def _read_front_matter(draft: Draft, front: dict) -> None:
    """The keys a document's front matter shares with ours (date, severity, tags, authors);
    every other key, and one of those whose value could not be read, is kept as it came in
    `frontMatter`."""
    used = set()
    for key in ("date", "incident_date", "started", "startedAt"):
        value = front.get(key)
        if isinstance(value, datetime):
            draft.incident_date = value.date()
        elif isinstance(value, date):
            draft.incident_date = value
        elif isinstance(value, str) and first_date(value):
            draft.incident_date = first_date(value)
        else:
            continue
        used.add(key)
    severity = front.get("severity")
    if severity is not None and _severity(str(severity)):
        draft.severity = _severity(str(severity))
        used.add("severity")
    tags = front.get("tags")
    if isinstance(tags, list):
        draft.data["tags"] = [str(t)[:100] for t in tags if str(t).strip()]
        draft.recognise("tags")
        used.add("tags")
    for key in ("authors", "author", "contributors"):
        value = front.get(key)
        if isinstance(value, list | str):
            values = value if isinstance(value, list) else re.split(r"[,;]\s*", value)
            draft.data["contributors"] = [str(v)[:254] for v in values if str(v).strip()]
            draft.recognise("contributors")
            used.add(key)
    if isinstance(front.get("title"), str | int | float):
        used.add("title")
    rest = {key: value for key, value in front.items() if key not in used}
    if rest:
        draft.data["frontMatter"] = frontmatter.as_json(rest)


def _severity(text: str) -> str | None:
    match = re.search(r"\bsev(?:erity)?[\s-]*([1-4])\b", text, re.IGNORECASE)
    if match:
        return f"SEV{match.group(1)}"
    match = re.fullmatch(r"\s*([1-4])\s*", text)
    return f"SEV{match.group(1)}" if match else None


def _guess_severity(draft: Draft, text: str) -> None:
    if draft.severity is None:
        match = re.search(r"\bseverity\W{0,4}\s*(sev[\s-]*[1-4]|[1-4])\b", text, re.IGNORECASE)
        match = match or re.search(r"\bsev[\s-]?([1-4])\b", text, re.IGNORECASE)
        if match:
            draft.severity = _severity(match.group(0))


def _read_preamble(draft: Draft, text: str, roots: list[Node]) -> None:
    """Text before the first section: label bullets and key-value tables are read as
    sections; the rest is the summary when there is no Summary section, else kept."""
    if not text:
        return
    # "Start: … / End: …" lines are the incident's; in a custom section further down such a
    # line may be one incident's of many (an incident log), and is left as written.
    leftovers = _take_moments(draft, _pseudo_sections(draft, text, None))
    if not leftovers:
        return
    has_summary = any(headings.meaning(n.heading) == "summary" for n in roots)
    if draft.ours or not has_summary:
        draft.set_text("summary", leftovers)
    else:
        draft.add_custom("Preamble", leftovers)


_LABEL = re.compile(
    r"^\s*(\*\*|__)(?P<label>[^*_\n]{1,80}?)\s*:?\s*(\1)\s*:?\s*(?P<rest>.*)$", re.S
)


def _pseudo_sections(draft: Draft, text: str, context: str | None) -> str:
    """Read bold-label bullets ("- **Impact**: …") and two-column key/value tables as
    sections, when their labels mean something; return what is left, as written."""
    if draft.ours:
        return text
    lines = text.split("\n")
    kept: list[str] = []
    offset = 0
    read_any = False
    for block in blocks(text):
        span = _block_span(block, lines, offset)
        offset = span[1] if span else offset
        used = False
        if block.kind == "list":
            items = list_items(block, 0, lines)
            labelled = [(_LABEL.match(item.head), item) for item in items]
            meant = [m for m, _ in labelled if m and headings.meaning(m.group("label"), context)]
            if meant and all(m for m, _ in labelled):
                for match, item in labelled:
                    body = "\n\n".join(p for p in (match.group("rest").strip(), item.rest) if p)
                    node = Node(match.group("label").strip(), 6, [], body.split("\n"))
                    if headings.meaning(node.heading, context):
                        _guarded(draft, node, context)
                    else:
                        draft.add_custom(node.heading, node.own())
                used = True
        elif block.kind == "paragraph":
            used = _label_lines(draft, block.lines, context)
        elif block.kind == "table":
            header, rows = table_rows(block)
            if (
                rows
                and all(len(r) >= 2 for r in rows)
                and not any(h.strip() for h in header)
                and any(headings.meaning(r[0], context) for r in rows)
            ):
                for row in rows:
                    node = Node(row[0], 6, [], _cell(" | ".join(row[1:])).split("\n"))
                    if headings.meaning(row[0], context):
                        _guarded(draft, node, context)
                    else:
                        draft.add_custom(row[0], node.own())
                used = True
        if not used:
            kept += block.lines
            kept.append("")
        read_any = read_any or used
    if not read_any:
        return text
    rebuilt = _trim(kept)
    return text if rebuilt == _trim(lines) else rebuilt


def _label_lines(draft: Draft, lines: list[str], context: str | None) -> bool:
    """`**Impact**: …` / `**Root Causes**: …` on consecutive lines, each starting a section
    (a line without a label continues the one above); read when the first line has a label
    and every label means something. Returns whether the lines were read."""
    parts: list[tuple[str, list[str]]] = []
    for line in lines:
        match = _LABEL.match(line) if line.lstrip().startswith(("**", "__")) else None
        if match:
            parts.append((match.group("label").strip(), [match.group("rest").strip()]))
        elif parts:
            parts[-1][1].append(line)
        else:
            return False
    if len(parts) < 2 or not all(headings.meaning(label, context) for label, _ in parts):
        return False
    for label, body in parts:
        _guarded(draft, Node(label, 6, [], body), context)
    return True


def _block_span(block: Block, lines, offset):
    for token in block.tokens:
        if token.map:
            return token.map
    return None


def _guarded(draft: Draft, node: Node, context: str | None) -> None:
    """Read one section; a section that trips the reader is kept whole as custom text."""
    try:
        _read_node(draft, node, context)
    except Exception:  # noqa: BLE001 - a document must never fail to import over one section
        draft.add_custom(node.heading, node.source())


def _read_node(draft: Draft, node: Node, context: str | None) -> None:
    target = headings.meaning(node.heading, context)
    if target is None:
        return _unknown(draft, node, context)
    if target.startswith(("horizon:", "category:")):
        return _read_action_items(draft, node, group=target)
    if target in ("timeline",):
        return _read_timeline(draft, node)
    if target == "actionItems":
        return _read_action_items(draft, node)
    if target in PROSE_TARGETS:
        text, others = _absorb(node, target)
        draft.set_text(target, text)
        for child in others:
            _guarded(draft, child, None)
        return None
    if "." in target:
        section, part = target.split(".", 1)
        text, others = _absorb(node, section)
        draft.set_text(f"{section}.{part}", text)
        for child in others:
            _guarded(draft, child, None)
        return None
    if target in GROUP_TARGETS:
        return _read_group(draft, node, target)
    handler = {
        "overview": _read_overview,
        "detection": _read_detection,
        "contributingFactors": _read_factors,
        "fiveWhys": _read_five_whys,
        "communication": _read_communication,
        "contributors": _read_names,
        "participants": _read_names,
        "tags": _read_names,
        "date": _read_date,
        "severity": _read_severity,
        "started": _read_moment,
        "ended": _read_moment,
    }.get(target)
    if handler is not None:
        return handler(draft, node, target)
    if target in SHORT_TARGETS:
        value = " ".join(node.source().split())[:500]
        if value:
            draft.data[target] = value
            draft.recognise(target)
        return None
    return _unknown(draft, node, context)


def _absorb(node: Node, context: str | None) -> tuple[str, list[Node]]:
    """The node's text with its sub-sections that have no meaning of their own; the ones
    that do are returned to be read in their own right."""
    kept = list(node.body)
    others = []
    for child in node.children:
        if headings.meaning(child.heading, context) not in (None, context):
            others.append(child)
        else:
            kept += child.lines + child.body_and_children()
    return _trim(kept), others


def _unknown(draft: Draft, node: Node, context: str | None) -> None:
    written = read_time(node.heading, draft.clock) if not draft.ours else None
    if written is not None and re.search(r"\d:\d\d|\?\?", node.heading):
        return _read_timeline(draft, Node("Timeline", node.level, [], [], [node]))
    mapped = [c for c in node.children if headings.meaning(c.heading) is not None]
    if mapped and not draft.ours:
        if node.own():
            draft.add_custom(node.heading, node.own())
        for child in node.children:
            _guarded(draft, child, None)
        return None
    draft.add_custom(node.heading, node.source())
    return None


def _read_group(draft: Draft, node: Node, target: str) -> None:
    draft.recognise(target)
    section = draft.data.setdefault(target, {})
    if not isinstance(section, dict):
        section = draft.data[target] = {}
    default = headings.DEFAULT_PART.get(target)
    extra: list[str] = []
    own = node.own()
    if target == "appendix" and own:
        refs, rest = _references(own)
        if refs and not draft.ours:
            section.setdefault("references", []).extend(refs)
            own = rest
    if own:
        if default:
            draft.set_text(f"{target}.{default}", own)
        else:
            extra.append(own)
    for child in node.children:
        meaning = headings.meaning(child.heading, target)
        if meaning and meaning.startswith(f"{target}."):
            part = meaning.split(".", 1)[1]
            if target == "appendix" and part == "references":
                refs, rest = _references(child.source())
                section.setdefault("references", []).extend(refs)
                if rest:
                    draft.add_custom(child.heading, rest)
                continue
            text, others = _absorb(child, target)
            draft.set_text(meaning, text)
            for other in others:
                _guarded(draft, other, None)
        elif meaning is not None:
            _guarded(draft, child, None)
        elif default:
            draft.set_text(f"{target}.{default}", _trim(child.lines + child.body_and_children()))
        else:
            draft.add_custom(child.heading, child.source())
    if extra:
        draft.add_custom(node.heading, "\n\n".join(extra))


def _references(text: str) -> tuple[list[dict], str]:
    """`- [label](url)` bullets as references; everything else is returned as written."""
    refs = []
    kept: list[str] = []
    lines = text.split("\n")
    for block in blocks(text):
        if block.kind != "list":
            kept += block.lines + [""]
            continue
        for item in list_items(block, 0, lines):
            link = _only_link(item.head)
            if link and not item.rest:
                refs.append(link)
            else:
                kept += item.raw.split("\n")
        kept.append("")
    return refs, _trim(kept)


_PLAIN_LINK = re.compile(r"\[[^\[\]]++\]\([^()\s]++\)")


def _only_link(text: str) -> dict | None:
    # markdown-it's label scan is quadratic in the number of "[": parse only a plain link
    # or a line with few brackets.
    if not _PLAIN_LINK.fullmatch(text) and text.count("[") > 8:
        return None
    tokens = _INLINE.parseInline(text)
    children = tokens[0].children if tokens else []
    if (
        len(children) >= 3
        and children[0].type == "link_open"
        and children[-1].type == "link_close"
        and not any(c.type == "link_open" for c in children[1:-1])
    ):
        label = text[1 : text.rfind("](")] if text.startswith("[") else ""
        url = children[0].attrGet("href") or ""
        source_url = text[text.rfind("](") + 2 : -1] if text.endswith(")") else url
        if label and source_url:
            return {"label": label[:500], "url": source_url[:2000]}
    return None


_LABELLED = re.compile(r"^\*\*(?P<label>[^*]+?):?\*\*:?\s*(?P<value>.*)$")


def _read_overview(draft: Draft, node: Node, target: str) -> None:
    leftovers = []
    lines = node.own().split("\n")
    for block in blocks(node.own()):
        if block.kind != "list":
            leftovers.append("\n".join(block.lines))
            continue
        for item in list_items(block, 0, lines):
            match = _LABELLED.match(item.head)
            field_name = headings.meaning(match.group("label")) if match else None
            if field_name in SHORT_TARGETS and not item.rest:
                draft.data[field_name] = match.group("value")[:500]
                draft.recognise(field_name)
            else:
                leftovers.append(item.raw)
    for child in node.children:
        _guarded(draft, child, None)
    if any(p.strip() for p in leftovers):
        if draft.ours:
            draft.add_custom(node.heading, "\n\n".join(leftovers))
        else:  # an "Overview" written as prose is the report's opening
            draft.set_text("summary", "\n\n".join(leftovers))


def _read_detection(draft: Draft, node: Node, target: str) -> None:
    """How the incident was detected: the detection method when it fits on one line of
    its field, else (nothing cut) what monitoring detected."""
    text, others = _absorb(node, "whatHappened")
    value = " ".join(text.split())
    if value and len(value) <= limits.SHORT and "\n\n" not in text:
        draft.data["detectionMethod"] = value
        draft.recognise("detectionMethod")
    elif value:
        draft.set_text("whatHappened.monitoring", text)
    for child in others:
        _guarded(draft, child, None)


def _read_names(draft: Draft, node: Node, target: str) -> None:
    text = node.source()
    names: list[str] = []
    leftovers: list[str] = []
    lines = text.split("\n")
    for block in blocks(text):
        if block.kind == "list":
            for item in list_items(block, 0, lines):
                if item.head.strip():
                    names.append(item.head.strip())
                if item.rest:
                    leftovers.append(item.rest)
        elif block.kind == "table":
            _, rows = table_rows(block)
            names += [row[0] for row in rows if row and row[0].strip()]
        elif block.kind == "paragraph" and not draft.ours:
            names += [n.strip() for n in re.split(r"[,;\n]", "\n".join(block.lines)) if n.strip()]
        else:
            leftovers.append("\n".join(block.lines))
    limit = 100 if target == "tags" else 254 if target == "contributors" else 500
    if target == "tags":
        names = [n.replace(",", " ") for n in names]
    draft.data.setdefault(target, []).extend(n[:limit] for n in names)
    draft.recognise(target)
    if leftovers:
        draft.add_custom(node.heading, "\n\n".join(leftovers))


def _read_date(draft: Draft, node: Node, target: str) -> None:
    text = node.source()
    found = first_date(text)
    if found and len(text) < 80:
        draft.incident_date = draft.incident_date or found
        draft.clock.day = draft.clock.day or found
        draft.recognise("date")
    else:
        draft.add_custom(node.heading, text)


def _read_moment(draft: Draft, node: Node, target: str) -> None:
    """A "Start"/"End" section or label: the incident's start or resolution time when its
    text is one timestamp, else kept as written."""
    text = node.source()
    if not (len(text) < 120 and _moment(draft, target, text)):
        draft.add_custom(node.heading, text)


_MOMENT_LINE = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?(?P<label>[A-Za-z][A-Za-z ()-]{1,40}?)\s*(?::\s*(?:\*\*|__)?"
    r"|(?:\*\*|__)\s*:?)\s*(?P<value>\S.{0,150})$"
)
# "Start: 10:00 / End: 12:30": a second label on the line, after a separator.
_SECOND_MOMENT = re.compile(
    r"(?:\s*[/|;,]|\s[–—-])\s*(?:\*\*|__)?(?=(?:end|ended|resolved|finished)\b)", re.I
)


def _moment(draft: Draft, target: str, text: str) -> bool:
    """Read TEXT ("2021-03-04 10:00 UTC", "12:30 PDT") as the incident's start ("started")
    or resolution ("ended"); True when it is that and nothing more. A time without a date
    is taken on the start's date (the day after when it would be before the start)."""
    value = " ".join(text.replace("**", " ").replace("__", " ").split())
    if not value:
        return False
    read = read_time(value, draft.clock.probe())
    if read is None or not read.has_clock or clean(read.rest):
        return False
    instant = parse_timestamp(read.time)
    if instant is None and target == "started" and draft.incident_date is not None:
        day = datetime.combine(draft.incident_date, time(0, 0), tzinfo=UTC)
        instant = resolve_event_time(read.time, day)
    if target == "started":
        if instant is None:
            return False
        draft.started_at = instant
        draft.incident_date = draft.incident_date or instant.date()
        draft.recognise("startedAt")
        return True
    start = draft.started_at
    if instant is None and start is not None:
        instant = resolve_event_time(read.time, start)
        if instant is not None and instant < start:
            instant += timedelta(days=1)
    if instant is None:
        return False
    draft.resolved_at = instant
    draft.recognise("resolvedAt")
    return True


def _take_moments(draft: Draft, text: str) -> str:
    """Read "Start: … / End: …" lines (or bullets, bold or not) in TEXT into the incident's
    start and resolution times; return TEXT without the lines read whole."""
    if draft.ours or not text.strip() or ":" not in text:
        return text
    lines = text.split("\n")
    kept: list[str] = []
    changed = False
    for line in lines:
        if line.startswith("    ") or re.match(r"\s+[-*+]\s", line):
            kept.append(line)  # a nested bullet belongs to the entry above it
            continue
        parts = _SECOND_MOMENT.split(line, maxsplit=1) if len(line) < 300 else [line]
        results = []
        for part in parts:
            match = _MOMENT_LINE.match(part)
            target = headings.meaning(match.group("label")) if match else None
            results.append(
                target in ("started", "ended") and _moment(draft, target, match.group("value"))
            )
        if results and all(results):
            changed = True
        else:
            kept.append(line)
    return _trim(kept) if changed else text


def _read_severity(draft: Draft, node: Node, target: str) -> None:
    text = node.source()
    severity = _severity(text)
    if severity and len(text) < 40:
        draft.severity = severity
        draft.recognise("severity")
    else:
        draft.add_custom(node.heading, text)


def _read_factors(draft: Draft, node: Node, target: str) -> None:
    factors = draft.data.setdefault("contributingFactors", [])
    draft.recognise("contributingFactors")
    own = node.own()
    lines = own.split("\n")
    leftovers: list[str] = []
    for block in blocks(own):
        if block.kind == "list":
            for item in list_items(block, 0, lines):
                if item.head.strip():
                    factor = {"factor": item.head.strip()[:2000]}
                    if len(item.head.strip()) > 2000 or item.rest:
                        rest = item.head.strip()[2000:]
                        factor["howItContributed"] = "\n\n".join(p for p in (rest, item.rest) if p)
                    factors.append(factor)
                elif item.raw.strip():
                    leftovers.append(item.raw)
        else:
            leftovers.append("\n".join(block.lines))
    for child in node.children:
        if headings.meaning(child.heading) not in (None, "contributingFactors"):
            _guarded(draft, child, None)
            continue
        factor = {"factor": child.heading[:2000] or "Untitled"}
        parts = {"howItContributed": [child.own()] if child.own() else []}
        for grand in child.children:
            name = headings.normalise(grand.heading)
            key = "whyItExisted" if "why" in name else "howItContributed"
            parts.setdefault(key, []).append(grand.source())
        for key, texts in parts.items():
            if texts:
                joined = "\n\n".join(texts)
                factor[key] = "" if joined.strip() == NONE_TEXT else joined
        factors.append(factor)
    if any(p.strip() for p in leftovers):
        draft.add_custom(node.heading, _trim("\n\n".join(leftovers).split("\n")))


def _read_five_whys(draft: Draft, node: Node, target: str) -> None:
    section = draft.data.setdefault("fiveWhys", {})
    draft.recognise("fiveWhys")
    if node.own():
        draft.set_text("fiveWhys.problem", node.own())
    for child in node.children:
        if headings.normalise(child.heading) == "problem":
            draft.set_text("fiveWhys.problem", child.source())
            continue
        why = re.sub(r"^\d+\.\s", "", child.heading, count=1)
        answer = child.source()
        entry = {"why": why[:2000] or "Why?"}
        if answer:
            entry["answer"] = "" if answer.strip() == NONE_TEXT else answer
        section.setdefault("whys", []).append(entry)


def _read_communication(draft: Draft, node: Node, target: str) -> None:
    own = node.own()
    found = []
    leftovers = []
    for block in blocks(own):
        if block.kind == "table":
            header, rows = table_rows(block)
            roles = [headings.normalise(h) for h in header]
            if "audience" in roles:
                for row in rows:
                    entry = {}
                    for role, value in zip(roles, row, strict=False):
                        if role in ("audience", "message", "when", "channel") and value:
                            entry[role] = _cell(value)
                    if entry.get("audience"):
                        found.append(entry)
                continue
        leftovers.append("\n".join(block.lines))
    if found:
        draft.data.setdefault("communication", []).extend(found)
        draft.recognise("communication")
    if any(p.strip() for p in leftovers) or node.children:
        draft.add_custom(node.heading, _trim(("\n\n".join(leftovers)).split("\n")))
        for child in node.children:
            _guarded(draft, child, None)


# Timelines ----------------------------------------------------------------------------


def _event(draft: Draft, time_text: str, description: str, written: str | None, notes: str = ""):
    """A valid event: description required, the time as written kept in the notes."""
    description = description.strip()
    notes = notes.strip()
    if not description:
        description, _, notes = notes.partition("\n\n")
        description, notes = description.strip(), notes.strip()
    if not description:
        description = written or time_text
    if written and not draft.ours:
        notes = f"Time as written: {written}" + (f"\n\n{notes}" if notes else "")
    event = {"time": time_text, "description": description[:MAX_DESCRIPTION]}
    if len(description) > MAX_DESCRIPTION:
        notes = description[MAX_DESCRIPTION:] + ("\n\n" + notes if notes else "")
    if notes:
        event["notes"] = notes[:MAX_DESCRIPTION]
    return event


def _read_timeline(draft: Draft, node: Node) -> None:
    # "timeline" is recognised only once events were read; a section without any is kept.
    position = len(draft.recognised)
    events = draft.data.setdefault("timeline", [])
    before = len(events)
    clock = draft.clock
    if not draft.ours:
        clock.zone = zone_of(node.heading + "\n" + "\n".join(node.body[:40])) or clock.zone
    leftovers: list[str] = []
    _timeline_text(draft, node.own(), events, leftovers)
    for child in node.children:
        read = _ours_time(child.heading) if draft.ours else read_time(child.heading, clock)
        if read is not None and not read.has_clock and _holds_entries(draft, child):
            # "### 03-10-2021 (All times CEST)": a day, its zone, then that day's entries
            clock.zone = zone_of(child.heading) or clock.zone
            _read_timeline(draft, child)
            continue
        if read is None:
            if headings.meaning(child.heading, "timeline") not in (None, "timeline"):
                _guarded(draft, child, None)
            elif headings.meaning(child.heading) == "timeline":
                _read_timeline(draft, child)
            else:
                leftovers.append(_trim(child.lines + child.body_and_children()))
            continue
        description, notes = read.rest, child.source()
        if not description:
            first, _, notes = notes.partition("\n\n")
            description = first
        events.append(_event(draft, read.time, description, read.written, notes))
        for grand in child.children:
            if read_time(grand.heading, clock) is not None:
                _read_timeline(draft, Node("Timeline", grand.level, [], [], [grand]))
    clock.pending = None
    if len(events) > before and "timeline" not in draft.recognised:
        draft.recognised.insert(position, "timeline")
    if any(p.strip() for p in leftovers):
        draft.add_custom(node.heading, "\n\n".join(p for p in leftovers if p.strip()))


def _holds_entries(draft: Draft, node: Node) -> bool:
    """Whether a date heading's section holds timed entries of its own (else the heading
    is one event, its text the description)."""
    probe = draft.clock.probe()
    for line in node.body_and_children()[:200]:
        stripped = line.strip().lstrip("-*+#>| ").strip()
        read = read_time(stripped, probe) if stripped else None
        if read is not None and read.has_clock:
            return True
    return False


def _ours_time(line: str):

    head, sep, rest = line.partition(" - ")
    head = head.strip()
    if is_valid_event_time(head):
        return ReadTime(head, rest, None)
    return None


def _timeline_text(draft: Draft, text: str, events: list[dict], leftovers: list[str]) -> None:
    lines = text.split("\n")
    for block in blocks(text):
        code = _code_lines(draft, block)
        if block.kind == "table":
            _timeline_table(draft, block, events, leftovers)
        elif block.kind == "list":
            for item in list_items(block, 0, lines):
                _timeline_item(draft, item, events, leftovers)
        elif block.kind == "paragraph" and draft.clock.pending is not None:
            # "**14:05 UTC**" then a blank line, then what happened
            pending, draft.clock.pending = draft.clock.pending, None
            pending["description"] = _cell("\n".join(block.lines)).strip()[:MAX_DESCRIPTION]
        elif block.kind == "paragraph":
            _timeline_lines(draft, "\n".join(block.lines), events, leftovers)
        elif code is not None:
            _timeline_lines(draft, code, events, leftovers)  # a timeline in a code block
        elif events and not draft.ours:
            _add_note(events[-1], "\n".join(block.lines))
        else:
            leftovers.append("\n".join(block.lines))


def _code_lines(draft: Draft, block: Block) -> str | None:
    """A code block's text when its first line is a timeline entry, else None."""
    token = block.tokens[0] if block.tokens else None
    if draft.ours or token is None or token.type not in ("fence", "code_block"):
        return None
    first = next((line for line in token.content.split("\n") if line.strip()), "")
    read = read_time(first.strip(), draft.clock.probe())
    return token.content.strip("\n") if read is not None and read.has_clock else None


def _add_note(event: dict, text: str) -> None:
    text = text.strip()
    if text and len(event.get("notes") or "") < MAX_DESCRIPTION:
        event["notes"] = (f"{event['notes']}\n\n{text}" if event.get("notes") else text)[
            :MAX_DESCRIPTION
        ]


def _read_line(draft: Draft, line: str):
    return _ours_time(line) if draft.ours else read_time(line, draft.clock)


_STAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(?::\d{2})?\b")


def _timeline_item(draft: Draft, item: Item, events: list[dict], leftovers: list[str]) -> None:
    first, _, more = item.head.partition("\n")
    read = _read_line(draft, first)
    stamp = None if draft.ours or read else _STAMP.search(first)
    if stamp is not None:  # "First detected 2021-07-12 15:44"
        read = read_time(stamp.group(0), draft.clock)
        if read is not None:
            read.rest = (first[: stamp.start()] + first[stamp.end() :]).strip(" :-–")
    if read is not None and not read.has_clock and not read.rest and item.rest:
        _timeline_text(draft, item.rest, events, leftovers)  # "- Saturday Oct 30th" + entries
        return
    if read is None:
        day = first_date(first) if not draft.ours else None
        if day and item.rest:  # a date bullet holding that day's entries
            draft.clock.day = day
            _timeline_text(draft, item.rest, events, leftovers)
            return
        if events and not draft.ours:
            _add_note(events[-1], item.raw)
        else:
            leftovers.append(item.raw)
        return
    description = read.rest + (f"\n{more}" if more else "")
    events.append(_event(draft, read.time, description, read.written, item.rest))


def _timeline_lines(draft: Draft, text: str, events: list[dict], leftovers: list[str]) -> None:
    """Read the lines of one paragraph (or code block) as entries. Lines that are no entry
    and follow none are kept together, as the paragraph they were, not one per line."""
    clock = draft.clock
    run: list[str] = []  # consecutive lines kept as written

    def keep_run() -> None:
        if run:
            leftovers.append("\n".join(run))
            run.clear()

    for line in text.split("\n"):
        read = _read_line(draft, line.strip())
        if read is not None and (read.rest or draft.ours):
            keep_run()
            clock.pending = None
            events.append(_event(draft, read.time, read.rest, read.written))
        elif read is not None and read.has_clock:
            # A timestamp alone on its line: what happened is on the next line.
            keep_run()
            clock.pending = _event(draft, read.time, "", read.written)
            events.append(clock.pending)
        elif read is not None:
            keep_run()
            continue  # a bare date line: it dates the entries below
        elif clock.pending is not None and line.strip():
            clock.pending["description"] = _cell(line).strip()[:MAX_DESCRIPTION]
            clock.pending = None
        elif events and not draft.ours and not run:
            old = events[-1]["description"]
            if len(old) < MAX_DESCRIPTION:  # past the cap, copying it again would be quadratic
                events[-1]["description"] = (old + "\n" + line)[:MAX_DESCRIPTION]
        else:
            run.append(line)
    keep_run()


_TIME_COLUMN = re.compile(r"time|date|when|^utc$|^ts$|timestamp")
_EVENT_COLUMN = re.compile(r"event|description|what|action|summary|activity|details|update")
_WHO_COLUMN = re.compile(r"^(who|by|owner|actor|person|people|who what)$|^who\b")
_NOTES_COLUMN = re.compile(r"^notes?$|comment|^remarks$")


def _timeline_table(draft: Draft, block: Block, events: list[dict], leftovers: list[str]):
    header, rows = table_rows(block)
    roles = [headings.normalise(h) for h in header]
    column = {"time": None, "event": None, "who": None, "notes": None}
    for index, role in enumerate(roles):
        for name, pattern in (
            ("time", _TIME_COLUMN),
            ("who", _WHO_COLUMN),
            ("notes", _NOTES_COLUMN),
            ("event", _EVENT_COLUMN),
        ):
            if column[name] is None and pattern.search(role):
                column[name] = index
                break
    if column["time"] is None:
        column["time"] = 0
    if column["event"] is None:
        column["event"] = next(
            (i for i in range(len(header)) if i not in column.values()), column["time"]
        )
    if not draft.ours:
        draft.clock.zone = zone_of(" ".join(header)) or draft.clock.zone
    for row in rows:
        cells = row + [""] * (len(header) - len(row))
        time_cell = cells[column["time"]] if column["time"] < len(cells) else ""
        read = _read_line(draft, time_cell)
        description = _cell(cells[column["event"]]) if column["event"] < len(cells) else ""
        if read is None:
            if not any(c.strip() for c in cells):
                continue
            if draft.ours:
                leftovers.append(" | ".join(cells))
                continue
            read_text = _read_line(draft, "--:--")
            read_text.written = time_cell or None
            read = read_text
        elif read.rest and not draft.ours:
            description = f"{read.rest} {description}".strip()
        extra = [
            f"{header[i] or 'Column ' + str(i + 1)}: {_cell(c)}"
            for i, c in enumerate(cells)
            if i not in column.values() and c.strip() and i < len(header)
        ]
        notes = _cell(cells[column["notes"]]) if column["notes"] is not None else ""
        notes = "\n\n".join(p for p in (notes, *extra) if p)
        event = _event(draft, read.time, description, read.written, notes)
        if column["who"] is not None and cells[column["who"]].strip():
            event["who"] = _cell(cells[column["who"]])[:200]
        events.append(event)


# Action items -------------------------------------------------------------------------

_DUE = " · due: "
_STATES = ("TODO", "IN_PROGRESS", "DONE")


def _ours_item(line: str) -> dict | None:
    """Our own checklist line, `DESCRIPTION (PRIORITY) — owner: OWNER · due: DUE[ · STATE]`,
    split by searching from both ends (a regex backtracks quadratically on a crafted line):
    the description runs to the last priority mark that a due mark follows, the owner to
    the next due mark."""
    due_at = line.rfind(_DUE)
    if due_at < 0:
        return None
    best = None
    for priority in ("HIGH", "MEDIUM", "LOW"):
        mark = f" ({priority}) — owner: "
        found = line.rfind(mark, 0, due_at)
        if found >= 0 and (best is None or found > best[0]):
            best = (found, priority, found + len(mark))
    if best is None:
        return None
    start, priority, owner_at = best
    owner_end = line.find(_DUE, owner_at)
    due = line[owner_end + len(_DUE) :]
    state = next((s for s in _STATES if due.endswith(f" · {s}")), None)
    if state:
        due = due[: -len(f" · {state}")]
    return {
        "description": line[:start],
        "priority": priority,
        "owner": line[owner_at:owner_end],
        "due": due,
        "state": state,
    }


_BOX = re.compile(r"^\[(?P<mark>[ xX])\]\s+")
_DONE = re.compile(
    r"\bdone\b|\bcompleted?\b|\bfixed\b|\bresolved\b|✅|✔|\bmerged\b|^~~.*~~$", re.IGNORECASE
)
_IN_PROGRESS = re.compile(
    r"\bin progress\b|\bin-progress\b|\bwip\b|\bongoing\b|\bdoing\b|\bstarted\b", re.IGNORECASE
)
# A status word teams write, and what it means here. Words that say more than TODO
# (BLOCKED, FAILED…) are kept at the start of the description, so nothing is lost.
STATUS_WORDS = {
    **dict.fromkeys(
        ("ONGOING", "IN PROGRESS", "IN-PROGRESS", "DOING", "STARTED", "WIP"), "IN_PROGRESS"
    ),
    **dict.fromkeys(("DONE", "FIXED", "COMPLETE", "COMPLETED", "RESOLVED", "MERGED"), "DONE"),
    **dict.fromkeys(("TODO", "TO DO", "OPEN"), "TODO"),
    **dict.fromkeys(("PLANNED", "BLOCKED", "FAILED", "WONTFIX", "WON'T FIX"), "TODO"),
}
KEPT_WORDS = {"PLANNED", "BLOCKED", "FAILED", "WONTFIX", "WON'T FIX"}
_LEAD_WORD = re.compile(
    r"^(?:\*\*|__)?\[?(?P<word>" + "|".join(re.escape(w) for w in STATUS_WORDS) + r")\]?"
    r"(?:\*\*|__)?\s*(?::\s*(?:\*\*|__)?|\s[-–—]\s|(?=\s))\s*",
)
_URL = re.compile(r"https?://[^\s()<>\]]+")


def status_word(text: str) -> tuple[str | None, str | None]:
    """The status a cell or a leading word means, and the word when it is to be kept."""
    word = " ".join(re.sub(r"\[[^\[\]]*+\]\([^()]*+\)|[*_`\[\]]", " ", text).split()).upper()
    if word in STATUS_WORDS:
        return STATUS_WORDS[word], (word if word in KEPT_WORDS else None)
    if text.strip() in ("[x]", "[X]", "✅", "✔"):
        return "DONE", None
    if _DONE.search(text):
        return "DONE", None
    if _IN_PROGRESS.search(text):
        return "IN_PROGRESS", None
    return None, None


_OWNER = re.compile(
    r"(?:\bowner|\bassignee|\bassigned to|\bresponsible)\s*[:=-]\s*(?P<owner>[^·,;()\]\n]+)"
    r"|\((?P<handle>@[\w.-]+)\)\s*$|^(?P<lead>@[\w.-]+)\s*:",
    re.IGNORECASE,
)
_PRIORITY = re.compile(r"\b(?:P(?P<p>[0-4])|priority\s*[:=-]?\s*(?P<word>high|medium|low))\b", re.I)


def _priority(text: str) -> str | None:
    match = _PRIORITY.search(text)
    if not match:
        return None
    if match.group("p") is not None:
        return {0: "HIGH", 1: "HIGH", 2: "MEDIUM"}.get(int(match.group("p")), "LOW")
    return match.group("word").upper()


# Follow-ups written outside a list under an "Action Items" heading: a label line naming
# them ("**Actions taken:**", "Next steps:", "Countermeasures") above a list or a table, and
# paragraphs that start with a status word ("**TODO**: …").

_PLAIN_LABEL = re.compile(r"^(?P<label>[^\W\d_][^:*_.,;!?\n]{0,60}?)\s*(?P<colon>:?)\s*$")
_TAKEN = re.compile(r"\b(taken|done|completed?|implemented|finished|carried out)\b")
_PLANNED = re.compile(r"\b(planned|proposed|pending|future|to ?do|open|remaining|upcoming)\b")
_UNDER_WAY = re.compile(r"\b(in progress|ongoing|under way|underway)\b")


def label_status(label: str) -> str | None:
    """The status a follow-ups label gives its items: "Actions taken" DONE, "Actions
    planned" TODO, "In progress" IN_PROGRESS; None when it says nothing of it."""
    name = headings.normalise(label)
    said = {
        status
        for status, pattern in (("IN_PROGRESS", _UNDER_WAY), ("DONE", _TAKEN), ("TODO", _PLANNED))
        if pattern.search(name)
    }
    return said.pop() if len(said) == 1 else None  # "planned or in progress" says neither


def _follow_up_label(block: Block) -> str | None:
    """The label on the paragraph BLOCK's last line ("**Actions taken:**", "Next steps:",
    or "Action Items" alone) when its meaning is action items. A plain label closing a
    longer paragraph needs its colon: without one it is the end of a sentence."""
    line = block.lines[-1].strip()
    bold = _LABEL.match(line)
    if bold and not bold.group("rest").strip():
        label = bold.group("label").strip()
    else:
        plain = _PLAIN_LABEL.match(line)
        if plain is None or len(plain.group("label").split()) > 5:
            return None
        if len(block.lines) > 1 and not plain.group("colon"):
            return None
        label = plain.group("label").strip()
    return label if headings.meaning(label) == "actionItems" else None


def _strong_lead(line: str):
    """A status word opening LINE as a label would ("**TODO**:", "DONE:", "[BLOCKED]",
    "DOING -"), not a word that merely starts a sentence."""
    match = _LEAD_WORD.match(line.lstrip())
    return match if match and re.search(r"[:*_\[\]\-–—]", match.group(0)) else None


def _status_entries(lines: list[str]) -> list[str] | None:
    """The entries of a paragraph whose lines start with status words (a line without one
    continues the entry above), or None when its first line does not start with one."""
    entries: list[str] = []
    for line in lines:
        if _strong_lead(line):
            entries.append(line.strip())
        elif entries:
            entries[-1] += "\n" + line.strip()
        else:
            return None
    return entries


def _listed_under(label: str | None, where: str | None) -> str | None:
    names = [n for n in (label, where) if n]
    generic = {"action items", "action item", "actions"}
    names = [n for n in names if headings.normalise(n) not in generic]
    if not names:
        return None
    return "Listed under " + " in ".join(f"“{n}”" for n in names) + "."


def _take_follow_ups(draft: Draft, text: str, where: str | None) -> str:
    """Read the follow-ups written in TEXT (a section's text, WHERE its heading if known)
    into action items and return the rest of TEXT, as written."""
    if draft.ours or not text.strip():
        return text
    lines = text.split("\n")
    found = blocks(text)
    taken: list[tuple[int, int]] = []  # spans of lines now read as items
    items: list[dict] = []
    index = 0
    while index < len(found):
        block = found[index]
        after = found[index + 1] if index + 1 < len(found) else None
        label = _follow_up_label(block) if block.kind == "paragraph" else None
        if label is not None and after is not None and after.kind in ("list", "table"):
            status = label_status(label)
            why = _listed_under(label, where)
            if after.kind == "list":
                for item in list_items(after, 0, lines):
                    parsed = _item(draft, item, status=status)
                    if parsed is not None:
                        items.append({**({"why": why} if why else {}), **parsed})
            else:
                for parsed in _item_table(after):
                    items.append({**({"status": status} if status else {}), **parsed})
            taken += [(block.end - 1, block.end), (after.start, after.end)]
            index += 2
            continue
        entries = _status_entries(block.lines) if block.kind == "paragraph" else None
        if block.kind == "list":
            listed = list_items(block, 0, lines)
            if listed and all(_strong_lead(i.head) for i in listed):
                entries = None
                for item in listed:
                    parsed = _item(draft, item)
                    if parsed is not None:
                        items.append(parsed)
                taken.append((block.start, block.end))
        if entries:
            why = _listed_under(None, where)
            for entry in entries:
                parsed = _item(draft, Item(entry, "", entry))
                if parsed is not None:
                    items.append({**({"why": why} if why else {}), **parsed})
            taken.append((block.start, block.end))
        index += 1
    if not items:
        return text
    draft.data.setdefault("actionItems", []).extend(items)
    draft.recognise("actionItems")
    drop = set()
    for start, end in taken:
        drop.update(range(start, end))
    kept: list[str] = []
    for number, line in enumerate(lines):
        if number in drop or (not line.strip() and kept and not kept[-1].strip()):
            continue
        kept.append(line)
    return _trim(kept)


def _label_says(line: str) -> dict | None:
    """What a label line inside an action-items section ("**Actions taken:**", "Short
    term:", "Monitoring:") says of the list below it: a status, a horizon or a category."""
    line = line.strip()
    bold = _LABEL.match(line)
    match = bold if bold and not bold.group("rest").strip() else _PLAIN_LABEL.match(line)
    if match is None or len(match.group("label").split()) > 5:
        return None
    label = match.group("label").strip()
    said: dict = {}
    meaning = headings.meaning(label, "actionItems")
    if meaning and meaning.startswith("horizon:"):
        said["horizon"] = meaning.split(":", 1)[1] or None
    elif meaning and meaning.startswith("category:"):
        said["category"] = meaning.split(":", 1)[1]
    elif meaning != "actionItems":
        return None
    status = label_status(label)
    if status:
        said["status"] = status
    why = _listed_under(label, None)
    return said if said or not why else {"why": why}


def _read_action_items(draft: Draft, node: Node, group: str | None = None) -> None:
    draft.recognise("actionItems")
    items = draft.data.setdefault("actionItems", [])
    attrs: dict = {}
    if group and group.startswith("horizon:"):
        attrs["horizon"] = group.split(":", 1)[1] or None
    elif group and group.startswith("category:"):
        attrs["category"] = group.split(":", 1)[1]
        if not draft.ours and headings.normalise(node.heading) not in ("process", "testing"):
            attrs["why"] = f"Listed under “{node.heading}”."
    # "Actions taken" / "Actions planned": the status of items that do not state their own.
    status = None if draft.ours else label_status(node.heading)
    leftovers: list[str] = []
    own = node.own()
    lines = own.split("\n")
    found = blocks(own)
    # Beside an action-item table, lists explain (priorities, types); they are not items.
    has_table = not draft.ours and any(b.kind == "table" for b in found)
    pending: dict = {}  # what a label line ("**Actions taken:**") says of the list below it
    for position, block in enumerate(found):
        after = found[position + 1] if position + 1 < len(found) else None
        given = {**attrs, **pending}
        pending = {}
        if block.kind == "list" and not has_table:
            item_status = given.pop("status", None) or status
            for item in list_items(block, 0, lines):
                parsed = _item(draft, item, status=item_status)
                if parsed is None:
                    leftovers.append(item.raw)
                else:
                    items.append({**parsed, **{k: v for k, v in given.items() if k not in parsed}})
        elif block.kind == "table" and not draft.ours:
            for parsed in _item_table(block):
                items.append({**given, **parsed})
        elif (
            not draft.ours
            and block.kind == "paragraph"
            and (entries := _status_entries(block.lines))
        ):
            for entry in entries:
                parsed = _item(draft, Item(entry, "", entry))
                if parsed is not None:
                    items.append({**parsed, **{k: v for k, v in attrs.items() if k not in parsed}})
        elif (
            not draft.ours
            and block.kind == "paragraph"
            and len(block.lines) == 1
            and after is not None
            and after.kind in ("list", "table")
            and (said := _label_says(block.lines[0])) is not None
        ):
            pending = said
        else:
            leftovers.append("\n".join(block.lines))
    for child in node.children:
        meaning = headings.meaning(child.heading, "actionItems")
        if meaning and meaning.startswith(("horizon:", "category:")):
            _read_action_items(draft, child, meaning)
        elif meaning is not None and meaning != "actionItems":
            _guarded(draft, child, None)
        elif not draft.ours:
            sub = Node(child.heading, child.level, child.lines, child.body, child.children)
            before = len(items)
            _read_action_items(draft, sub, None)
            for entry in items[before:]:
                entry.setdefault("why", f"Listed under “{child.heading}”.")
        else:
            leftovers.append(_trim(child.lines + child.body_and_children()))
    if any(p.strip() for p in leftovers):
        draft.add_custom(node.heading, _trim("\n\n".join(leftovers).split("\n")))


def _item(draft: Draft, item: Item, *, status: str | None = None) -> dict | None:
    """One action item from a list entry; STATUS is what the label above the list says
    (an item's own box or status word wins over it, and it over words like "fixed")."""
    head = item.head.strip()
    if not head and not item.rest:
        return None
    box = _BOX.match(head)
    if box:
        head = head[box.end() :]
    if draft.ours:
        match = _ours_item(head)
        if not match:
            return None
        status = match["state"] or ("DONE" if box and box.group("mark") != " " else "TODO")
        owner = match["owner"]
        due = match["due"]
        entry = {
            "description": match["description"],
            "priority": match["priority"],
            "status": status,
            "owner": None if owner == "unassigned" else owner,
            "dueDate": None if due == "no due date" else due,
        }
        return entry
    lead = _LEAD_WORD.match(head) if not box else None
    kept = None
    if lead:  # "**TODO**: text", "DONE: text", "[FAILED] text"
        head = head[lead.end() :]
        word = lead.group("word")
        kept = word if word in KEPT_WORDS else None
        head = f"[{kept}] {head}" if kept else head
    description = head if head else item.rest
    rest = item.rest if head else ""
    entry: dict = {"description": ""}
    if lead:
        entry["status"] = STATUS_WORDS[lead.group("word")]
    elif box:
        entry["status"] = "DONE" if box.group("mark") != " " else "TODO"
    elif status:
        entry["status"] = status
    elif _DONE.search(head):
        entry["status"] = "DONE"
    elif _IN_PROGRESS.search(head):
        entry["status"] = "IN_PROGRESS"
    owner = _OWNER.search(head)
    if owner:
        value = (owner.group("owner") or owner.group("handle") or owner.group("lead")).strip()
        entry["owner"] = value[:254]
    priority = _priority(head)
    if priority:
        entry["priority"] = priority
    due = re.search(r"\b(?:due|by)\s*:?\s*(\d{4}-\d{2}-\d{2})\b", head, re.IGNORECASE)
    if due:
        try:
            entry["dueDate"] = date.fromisoformat(due.group(1)).isoformat()
        except ValueError:
            pass
    text = "\n\n".join(p for p in (description, rest) if p)
    entry["description"] = text[:MAX_DESCRIPTION]
    if len(text) > MAX_DESCRIPTION:
        entry["why"] = text[MAX_DESCRIPTION : 2 * MAX_DESCRIPTION]
    return entry


def _item_table(block: Block) -> list[dict]:
    header, rows = table_rows(block)
    roles = [headings.normalise(h) for h in header]

    def find(pattern):
        return next((i for i, r in enumerate(roles) if re.search(pattern, r)), None)

    owner = find(r"owner|assignee|who|responsible")
    priority = find(r"priority|^prio")
    status = find(r"status|state|done")
    due = find(r"due|deadline")
    used = {i for i in (owner, priority, status, due) if i is not None}
    description = find(r"action|item|task|description|what|title|summary")
    if description is None or description in used:
        description = next((i for i in range(len(header)) if i not in used), 0)
    used.add(description)
    out = []
    for row in rows:
        cells = row + [""] * (len(header) - len(row))
        text = _cell(cells[description]).strip()
        if not text:
            continue
        entry: dict = {"description": text[:MAX_DESCRIPTION]}
        if owner is not None and cells[owner].strip():
            entry["owner"] = cells[owner].strip()[:254]
        if priority is not None and cells[priority].strip():
            value = cells[priority].strip()
            entry["priority"] = _priority(value) or (
                value.upper() if value.upper() in ("HIGH", "MEDIUM", "LOW") else "MEDIUM"
            )
        if status is not None and cells[status].strip():
            value = cells[status].strip()
            state, kept = status_word(value)
            entry["status"] = state or "TODO"
            if kept:
                entry["description"] = f"[{kept}] {text}"[:MAX_DESCRIPTION]
            link = _URL.search(value)
            if link:  # a status cell holding the tracker's issue
                entry["trackerUrl"] = link.group(0)[:2000]
        if due is not None:
            found = re.search(r"\d{4}-\d{2}-\d{2}", cells[due])
            if found:
                try:
                    entry["dueDate"] = date.fromisoformat(found.group(0)).isoformat()
                except ValueError:
                    pass
        extra = [
            f"{header[i]}: {_cell(c).strip()}"
            for i, c in enumerate(cells)
            if i not in used and c.strip() and i < len(header)
        ]
        if priority is not None and cells[priority].strip() and "priority" in entry:
            extra.insert(0, f"{header[priority]}: {cells[priority].strip()}")
        if extra:
            entry["why"] = "; ".join(extra)[:MAX_DESCRIPTION]
        out.append(entry)
    return out


# Our own front matter -----------------------------------------------------------------


# The keys of our own front matter; a report's frontMatter holding one of them travels
# under `frontMatter:` instead, so it never overrides what the export says.
OWN_KEYS = frozenset(
    {frontmatter.MARKER, "incidentId", "tags", "contributors", "timeline", "actionItems"}
    | {"actionItemOrder", "exact"}
    | {f.api_name for f in fields.REPORT_FIELDS}
    | set(SECTION_ALIASES)
)


def front_matter_keys(front_matter: dict) -> dict:
    """A report's frontMatter as our export writes it: its keys beside ours, those named
    like ours under `frontMatter:`."""
    out = {key: value for key, value in front_matter.items() if key not in OWN_KEYS}
    clashing = {key: value for key, value in front_matter.items() if key in OWN_KEYS}
    if clashing:
        out["frontMatter"] = clashing
    return out


def _apply_front_matter(draft: Draft, front: dict) -> None:
    data = draft.data
    if isinstance(front.get("incidentId"), str):
        data["incidentId"] = front["incidentId"]
    theirs = {key: value for key, value in front.items() if key not in OWN_KEYS}
    if isinstance(front.get("frontMatter"), dict):
        theirs.update(front["frontMatter"])
    if theirs:
        data["frontMatter"] = frontmatter.as_json(theirs)
    for key, value in front.items():
        if key in SECTION_ALIASES or key in ("tags",):
            data[key] = _merge(data.get(key), value)
    for key in ("timeline", "actionItems"):
        extra = front.get(key)
        if isinstance(extra, list):
            rows = data.setdefault(key, [])
            for index, values in enumerate(extra):
                if index < len(rows) and isinstance(values, dict):
                    rows[index].update(values)
    order = front.get("actionItemOrder")
    items = data.get("actionItems") or []
    if order is not None and not (isinstance(order, list) and all(type(n) is int for n in order)):
        raise Invalid(
            "The front matter's actionItemOrder is not a list of item positions.",
            fields={"actionItemOrder": "a list of whole numbers"},
        )
    # An order that no longer fits the list (an item added by hand) is left unused.
    if order is not None and sorted(order) == list(range(len(items))):
        placed: list = [None] * len(items)
        for body_index, original in enumerate(order):
            placed[original] = items[body_index]
        data["actionItems"] = placed
    exact = front.get("exact")
    if isinstance(exact, dict):
        for path, value in exact.items():
            _set_path(data, str(path), value)


def _merge(base, extra):
    if isinstance(base, dict) and isinstance(extra, dict):
        merged = dict(base)
        for key, value in extra.items():
            merged[key] = _merge(base.get(key), value)
        return merged
    return extra


def _set_path(data: dict, path: str, value) -> None:
    """Set DATA's value at the dotted PATH (list positions as numbers); a path that leads
    nowhere (a position past the list's end, a key inside a text) is refused by name."""
    keys = path.split(".")
    target = data
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        if isinstance(target, list):
            if not key.isdecimal() or len(key) > 9 or int(key) >= len(target):
                break
            if last:
                target[int(key)] = value
                return
            target = target[int(key)]
        elif isinstance(target, dict):
            if last:
                target[key] = value
                return
            if keys[depth + 1].isdecimal() and not isinstance(target.get(key), list):
                break  # a position in a list the document does not have
            target = target.setdefault(key, {})
        else:
            break
    raise Invalid(
        f"The front matter's exact value {path} names no field of the document.",
        fields={f"exact.{path}": "names no field of the document"},
    )


# The API form, complete ---------------------------------------------------------------

# A read item's and event's fields beyond their text, as the declaration defaults them.
ITEM_FIELDS_DEFAULT = {
    f.api_name: f.default for f in fields.writable(fields.ITEM_FIELDS) if not f.required
}
EVENT_FIELDS_DEFAULT = {
    f.api_name: f.default for f in fields.writable(fields.EVENT_FIELDS) if not f.required
}


def _normalise(draft: Draft) -> None:
    """Every field present, sections in their stored form, so drafts compare as records."""
    data = draft.data
    data.setdefault("summary", "")
    data.setdefault("frontMatter", {})
    data.setdefault("impact", None)
    data.setdefault("rootCause", None)
    for key in ("timeline", "actionItems", "contributors", "tags"):
        data.setdefault(key, [])
    data["timeline"] = [
        {"time": e.get("time"), "description": e.get("description"), **_event_rest(e)}
        for e in data["timeline"]
    ]
    data["actionItems"] = [_item_complete(i) for i in data["actionItems"]]
    for alias, name in SECTION_ALIASES.items():
        value = data.get(alias)
        try:
            data[alias] = to_stored(name, value)
        except Exception:  # noqa: BLE001 - checked again on create; keep what was read
            data[alias] = value


def _event_rest(event: dict) -> dict:
    rest = dict(EVENT_FIELDS_DEFAULT)
    rest.update({k: v for k, v in event.items() if k not in ("time", "description", "id", "at")})
    return rest


def _item_complete(item: dict) -> dict:
    complete = dict(ITEM_FIELDS_DEFAULT)
    complete.update({k: v for k, v in item.items() if k not in ("id", "overdue")})
    for key in ("status", "priority"):
        if complete.get(key) is None:
            complete[key] = ITEM_DEFAULTS[key]
    return complete


# Creating the post-mortem -------------------------------------------------------------


@dataclass
class Imported:
    postmortem: object
    recognised: list[str]
    custom: list[str]
    warnings: list[str] = field(default_factory=list)  # what was read with a doubt


def import_markdown(
    text: str, *, by, incident_id: str | None = None, incident_title: str | None = None
) -> Imported:
    """Create a post-mortem from TEXT; its incident is INCIDENT_ID (which must exist), the
    one named in our own front matter when it exists, or a new one from the document's
    date and severity, named INCIDENT_TITLE or `Imported incident YYYY-MM-DD`.

    Every viewer sees incidents while the report is still a private draft, so a new
    incident never takes the document's title unless the caller names it so."""

    if not by.can_write:
        raise PermissionDenied("Viewers cannot import post-mortems.")
    _refuse_long_checklists(text)
    draft = parse(text)
    body = creation_body(draft)
    # Over-long lists are refused before the writer is taken, as a create refuses them.
    check_list_limits({name: body.get(api_name(name)) for name in fields.LIST_LIMITS})
    with write_transaction():
        if incident_id is not None:
            _warn_times_unused(draft, incident_id)
            if not Incident.objects.filter(pk=incident_id).exists():
                raise Invalid(
                    f"There is no incident {incident_id}; create it first or leave incidentId"
                    " out to create one from the document.",
                    fields={"incidentId": f"unknown incident {incident_id}"},
                )
        else:
            named = draft.data.get("incidentId") if draft.ours else None
            if named and Incident.objects.filter(pk=named).exists():
                incident_id = named
                _warn_times_unused(draft, incident_id)
            else:
                title = " ".join((incident_title or "").split())
                values = {"title": title or default_incident_title()}
                if named and ID_PATTERN.match(named):
                    values["id"] = named
                started = _started_at(draft)
                if started:
                    values["started_at"] = started
                resolved = draft.resolved_at
                if resolved is not None and (started is None or resolved >= started):
                    values["resolved_at"] = resolved
                elif resolved is not None:
                    draft.clock.warn(
                        f"The document's end ({resolved.isoformat()}) is before its start"
                        f" ({started.isoformat()}); the incident was left unresolved."
                    )
                if draft.severity:
                    values["severity"] = draft.severity
                incident_id = create_incident(values, by=by).pk
        body["incidentId"] = incident_id
        try:
            payload = PostMortemCreate.model_validate(body)
        except ValidationError as exc:  # made a domain error naming each field, as the API's
            named = {_error_path(e["loc"]): e["msg"] for e in exc.errors()}
            raise Invalid(
                f"The document does not make a valid post-mortem: {exc}", fields=named
            ) from None
        except Exception as exc:  # noqa: BLE001 - a validator's own error: still a 422
            raise Invalid(f"The document does not make a valid post-mortem: {exc}") from None
        postmortem = create_postmortem(payload.data(), by=by)
    return Imported(postmortem, draft.recognised, draft.custom, draft.clock.warnings)


def _error_path(loc) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


# One line of a checklist as a long run of them is written: marker, box, text.
_CHECKLIST_LINE = re.compile(r"([-*+]) \[[ xX]\](?: |$)")


def _refuse_long_checklists(text: str) -> None:
    """Refuse, before reading it all, a document whose checklist already makes more action
    items than a report may hold. markdown-it costs about 0.1 ms a list item, so a mebibyte
    of `- [ ] x` (130,000 items) would take half a minute to read only to be refused. So
    each run of checklist lines longer than the limit is cut to one item over it and that
    document read first: what is cut are further items of the same lists, so a cut document
    over the limit means the whole one is over it too. One under it is read whole."""
    limit = fields.LIST_LIMITS["action_items"]
    lines = normalise_newlines(text).split("\n")
    kept: list[str] = []
    listed = 0
    cut = False
    marker, count = None, 0  # the run being read: its marker and its checklist lines so far
    for line in lines:
        match = _CHECKLIST_LINE.match(line)
        if match and match.group(1) == marker:
            count += 1
        elif match:
            marker, count = match.group(1), 1
        elif line.strip():
            marker, count = None, 0
        listed += bool(match)
        if match and count > limit + 1:
            cut = True
            continue
        kept.append(line)
    if not cut:
        return
    items = parse("\n".join(kept)).data.get("actionItems") or ()
    if len(items) > limit:
        raise Invalid(
            f"actionItems holds more than {limit:,} entries (the document lists {listed:,}"
            f" checklist items); at most {limit:,} are allowed.",
            fields={"actionItems": f"at most {limit} entries"},
            limit=limit,
        )


def _warn_times_unused(draft: Draft, incident_id: str) -> None:
    said = [
        f"{name} {moment.isoformat()}"
        for name, moment in (("start", draft.started_at), ("end", draft.resolved_at))
        if moment is not None
    ]
    if said:
        draft.clock.warn(
            f"The document's {' and '.join(said)} were not applied: the report joins the"
            f" existing incident {incident_id}, whose times stay as they are."
        )


def default_incident_title() -> str:
    return f"Imported incident {timezone.localdate().isoformat()}"


def creation_body(draft: Draft) -> dict:
    """The draft as a POST /api/postmortems body (camelCase), without the incident."""
    allowed = set(Sections.model_fields) | set(fields.names(fields.REPORT_FIELDS))
    body = {}
    for key, value in draft.data.items():
        name = SECTION_ALIASES.get(key) or _snake(key)
        if name in allowed or key in ("timeline", "actionItems", "contributors", "tags"):
            body[key] = value
    body["timeline"] = [
        {k: v for k, v in e.items() if v is not None} for e in draft.data.get("timeline", [])
    ]
    body["actionItems"] = [
        {k: v for k, v in i.items() if v is not None} for i in draft.data.get("actionItems", [])
    ]
    return {k: v for k, v in body.items() if v is not None}


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def _started_at(draft: Draft) -> datetime | None:
    if draft.started_at is not None:
        return draft.started_at
    instants = [parse_timestamp(e["time"]) for e in draft.data.get("timeline", [])]
    instants = [i for i in instants if i is not None]
    if draft.incident_date:
        day = datetime.combine(draft.incident_date, time(0, 0), tzinfo=UTC)
        same_day = [i for i in instants if i.date() == draft.incident_date]
        return min(same_day) if same_day else day
    return min(instants) if instants else None
