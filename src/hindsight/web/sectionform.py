"""The optional report sections (postmortems/sections.py) as HTML form fields and back.

The form is derived from the pydantic models, so a section added there appears in the edit
page and on the report without touching the web app. Field names are paths such as
`s-what_happened-what_broke` or `s-contributing_factors-0-factor`; repeated rows (contributing
factors, whys, references, …) are shown with one blank row to add another. A template's
prompts (`hints`, by API name) are attached to the nodes they guide (`attach_hints`).
"""

import re
import types
import typing
from dataclasses import dataclass, field

from pydantic import BaseModel, ValidationError

from hindsight.lib.schema import api_name
from hindsight.postmortems import limits
from hindsight.postmortems.sections import SECTION_NAMES, Sections

PREFIX = "s"
# One past the longest list a section may hold, so a form with too many rows is refused by
# the section's own limit rather than cut short.
MAX_ROWS = max(limits.SECTION_ENTRIES, limits.CUSTOM_SECTIONS) + 1
SHORT_TEXT = 500  # up to this many characters a value is a one-line input, not Markdown

LABELS = {
    "sla_credits": "SLA credits",
    "five_whys": "Five whys",
    "whys": "Whys",
    "why": "Why?",
    "went_well": "What went well",
    "went_wrong": "What went wrong",
    "where_we_got_lucky": "Where we got lucky",
    "what_happened": "What happened",
    "url": "URL",
    "duration_minutes": "Duration (minutes)",
    "revenue_loss": "Revenue loss",
    "currency": "Currency (ISO code)",
    "related_postmortems": "Related post-mortems (ids)",
    "custom_sections": "Custom sections",
}


# An amount shown with the unit another field of its group holds (12,000 USD).
UNIT_FROM = {"revenue_loss": "currency", "sla_credits": "currency"}
_THOUSANDS = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def number_text(value) -> str:
    """A number for people: 45.0 → "45", 12000 → "12,000", 1234.5 → "1,234.5"."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.6f}".rstrip("0").rstrip(".")
    return f"{int(value):,}"


def read_number(raw: str, kind: str) -> int | float:
    """What a person typed in a number field: "12,000" (commas between thousands) or
    "12000.5"; raises ValueError otherwise, and for decimals where a count is asked."""
    text = raw.strip()
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    if kind == "int":
        return int(text)
    return float(text)


# What one entry of a list is called, for its "Add a …" button.
ENTRY_LABELS = {
    "contributing_factors": "contributing factor",
    "whys": "why",
    "communication": "message",
    "references": "reference",
    "custom_sections": "custom section",
}


def label(name: str) -> str:
    return LABELS.get(name) or name.replace("_", " ").capitalize()


@dataclass
class Node:
    """One field, group or list of rows, for the edit form and for the report."""

    name: str
    label: str
    kind: str  # text, prose, int, float, lines, group, rows
    path: str
    value: typing.Any = None
    children: list["Node"] = field(default_factory=list)
    rows: list[list["Node"]] = field(default_factory=list)
    error: str = ""
    hint: str = ""  # the template's prompt for this field, shown beside it
    unit: str = ""  # what an amount counts in (a currency), from UNIT_FROM
    model: type[BaseModel] | None = None  # a list's entry model
    autofocus: bool = False  # the first field of an entry just added

    @property
    def entry_label(self) -> str:
        return ENTRY_LABELS.get(self.name, "entry")

    @property
    def number_text(self) -> str:
        return number_text(self.value)

    @property
    def has_content(self) -> bool:
        if self.kind == "group":
            return any(c.has_content for c in self.children)
        if self.kind == "rows":
            return any(any(c.has_content for c in row) for row in self.rows)
        if self.kind == "lines":
            return bool(self.value)
        return self.value not in (None, "")

    @property
    def has_error(self) -> bool:
        if self.error:
            return True
        return any(c.has_error for c in self.children) or any(
            c.has_error for row in self.rows for c in row
        )

    @property
    def holds_autofocus(self) -> bool:
        return (
            self.autofocus
            or any(c.holds_autofocus for c in self.children)
            or any(c.holds_autofocus for row in self.rows for c in row)
        )

    @property
    def lines_text(self) -> str:
        return "\n".join(self.value or [])

    @property
    def row_count(self) -> int:
        return len(self.rows)


def _unwrap(annotation) -> tuple[typing.Any, int | None]:
    """The base type behind Optional[...] / Annotated[...], and its max_length if any."""
    max_length = None
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            for meta in typing.get_args(annotation)[1:]:
                for constraint in getattr(meta, "metadata", [meta]):
                    max_length = getattr(constraint, "max_length", max_length)
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation, max_length


def _kind(annotation) -> tuple[str, typing.Any]:
    base, max_length = _unwrap(annotation)
    if typing.get_origin(base) is list:
        item, _ = _unwrap(typing.get_args(base)[0])
        if isinstance(item, type) and issubclass(item, BaseModel):
            return "rows", item
        return "lines", None
    if isinstance(base, type) and issubclass(base, BaseModel):
        return "group", base
    if base is int:
        return "int", None
    if base is float:
        return "float", None
    return ("text" if (max_length or 0) <= SHORT_TEXT else "prose"), None


def _nodes(model: type[BaseModel], values: dict | None, path: str, blank_rows: int) -> list[Node]:
    values = values or {}
    nodes = []
    for name, info in model.model_fields.items():
        kind, sub = _kind(info.annotation)
        value = values.get(info.alias or name, values.get(name))
        node = Node(name=name, label=label(name), kind=kind, path=f"{path}-{name}")
        if kind == "group":
            node.children = _nodes(sub, value, node.path, blank_rows)
        elif kind == "rows":
            node.model = sub
            rows = list(value or []) or [None] * blank_rows  # an empty list shows one to fill
            node.rows = [
                _nodes(sub, row, f"{node.path}-{index}", blank_rows)
                for index, row in enumerate(rows)
            ]
        else:
            node.value = value
        nodes.append(node)
    by_name = {node.name: node for node in nodes}
    for name, unit in UNIT_FROM.items():
        if name in by_name and unit in by_name:
            by_name[name].unit = by_name[unit].value or ""
    return nodes


def section_nodes(stored: dict, *, blank_rows: int = 1) -> list[Node]:
    """One node per optional section, filled from the post-mortem's stored sections."""
    return _nodes(Sections, stored, PREFIX, blank_rows)


def _blank(value) -> bool:
    return value in (None, "", []) or (isinstance(value, dict) and all(map(_blank, value.values())))


def _parse(model: type[BaseModel], post, path: str, errors: dict) -> dict:
    data = {}
    for name, info in model.model_fields.items():
        kind, sub = _kind(info.annotation)
        key = f"{path}-{name}"
        if kind == "group":
            value = _parse(sub, post, key, errors)
            data[name] = None if _blank(value) else value
        elif kind == "rows":
            try:
                count = min(int(post.get(f"{key}-rows", "0")), MAX_ROWS)
            except ValueError:
                count = 0
            rows = [_parse(sub, post, f"{key}-{i}", errors) for i in range(count)]
            data[name] = [row for row in rows if not _blank(row)]
        elif kind == "lines":
            data[name] = [line.strip() for line in post.get(key, "").splitlines() if line.strip()]
        else:
            raw = post.get(key, "").replace("\r\n", "\n")
            raw = raw.strip() if kind != "prose" else raw.strip("\n")
            if raw.strip() == "":
                data[name] = None
            elif kind in ("int", "float"):
                try:
                    data[name] = read_number(raw, kind)
                except ValueError:
                    errors[key] = "Enter a number" + (
                        " without decimals." if kind == "int" else "."
                    )
                    data[name] = None
            else:
                data[name] = raw
    return data


def parse_sections(post) -> tuple[dict, dict[str, str]]:
    """The sections a form submitted, by Python name (ready for the services), and the
    errors found, keyed by field path."""
    errors: dict[str, str] = {}
    data = _parse(Sections, post, PREFIX, errors)
    try:
        Sections.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            key = "-".join([PREFIX, *(str(part) for part in error["loc"])])
            errors.setdefault(key, error["msg"].removeprefix("Value error, "))
    return {name: data[name] for name in SECTION_NAMES}, errors


def attach_errors(nodes: list[Node], errors: dict[str, str]) -> None:
    for node in nodes:
        node.error = errors.get(node.path, "")
        attach_errors(node.children, errors)
        for row in node.rows:
            attach_errors(row, errors)


def attach_hints(nodes: list[Node], hints) -> None:
    """Give each node the template's prompt for it: HINTS is shaped like the sections (API
    names); a list of rows' hints guides the rows in turn (the last one any further rows),
    and several are also named together under the list."""
    for node in nodes:
        hint = hints.get(api_name(node.name)) if isinstance(hints, dict) else None
        if node.kind == "group":
            attach_hints(node.children, hint)
        elif node.kind == "rows":
            rows = [h for h in hint if isinstance(h, dict)] if isinstance(hint, list) else []
            for index, row in enumerate(node.rows):
                if rows:
                    attach_hints(row, rows[min(index, len(rows) - 1)])
            if len(rows) > 1:
                firsts = [next((v for v in h.values() if isinstance(v, str)), "") for h in rows]
                node.hint = "; ".join(text for text in firsts if text)
        elif node.kind == "lines" and isinstance(hint, list):
            node.hint = "\n".join(str(line) for line in hint)
        elif isinstance(hint, str):
            node.hint = hint


def _find(nodes: list[Node], path: str) -> Node | None:
    for node in nodes:
        if node.path == path:
            return node
        found = _find(node.children, path)
        if found is None:
            found = next((f for row in node.rows if (f := _find(row, path))), None)
        if found is not None:
            return found
    return None


def _first_leaf(nodes: list[Node]) -> Node | None:
    for node in nodes:
        if node.kind not in ("group", "rows"):
            return node
        found = _first_leaf(node.children)
        if found is not None:
            return found
    return None


def with_added_row(post, path: str) -> tuple[list[Node], Node | None]:
    """The form as the person filled it in, with one more empty entry in the list at PATH
    (its entries kept as posted, empty ones too, so each click adds one); and that list's
    node, or None when PATH names no list."""
    nodes = nodes_from_post(post, {})
    node = _find(nodes, path)
    if node is None or node.kind != "rows":
        return nodes, None
    try:
        count = min(int(post.get(f"{path}-rows", "0")), MAX_ROWS - 1)
    except ValueError:
        count = 0
    node.rows = [
        _nodes(node.model, _parse(node.model, post, f"{path}-{i}", {}), f"{path}-{i}", 0)
        for i in range(count)
    ]
    node.rows.append(_nodes(node.model, None, f"{path}-{count}", 0))
    first = _first_leaf(node.rows[-1])
    if first is not None:
        first.autofocus = True
    return nodes, node


def nodes_from_post(post, errors: dict[str, str]) -> list[Node]:
    """The form as the person filled it in, so a refused save loses none of their text."""
    data, _ = parse_sections(post)
    nodes = section_nodes(data)  # section_nodes reads Python names as well as API names
    attach_errors(nodes, errors)
    return nodes
