"""User Markdown to safe HTML: markdown-it-py (CommonMark + tables, strikethrough, task
lists) rendered, then sanitised with nh3 (ammonia), so no script, handler or javascript:
URL written into a report ever reaches a reader's browser.

Rendering is linear in the text: markdown-it scans forward from every `[` for the `]` that
would close a link, so a long run of unclosed `![` / `[` costs seconds per field. An inline
rule in front of the others takes such a run as plain text in one step when no `]` follows
it — exactly what markdown-it would make of it, at the cost of one regex match.

A report keeps its renderings (`Renderings`, keyed by a digest of each text) with its
stored document, so a page or an export renders nothing that was rendered for its version.
"""

import hashlib
import json
import re
from bisect import bisect_left
from functools import cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from mdit_py_plugins.tasklists import tasklists_plugin

_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "details",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "input",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "input": {"type", "checked", "disabled"},
    "td": {"align"},
    "th": {"align"},
    "li": {"class"},
    "ul": {"class"},
    "code": {"class"},
}


@cache
def _inert_run(md: MarkdownIt) -> re.Pattern:
    """`[`, `!` and the characters no inline rule starts at (markdown-it's terminators)."""
    others = md.inline.terminator_re.pattern  # "[...]", a character class
    return re.compile(r"(?:[\[!]|[^" + others[1:] + ")+")


def _unclosed_brackets(state: StateInline, silent: bool) -> bool:
    """From a `[` or `!` with no `]` after it (before posMax), no link or image can start
    until the next other special character: take that run as text at once."""
    pos = state.pos
    if state.src[pos] not in "[!":
        return False
    closers = getattr(state, "hindsight_closers", None)
    if closers is None:
        closers = [m.start() for m in re.finditer(r"\]", state.src)]
        state.hindsight_closers = closers
    after = bisect_left(closers, pos)
    if after < len(closers) and closers[after] < state.posMax:
        return False
    match = _inert_run(state.md).match(state.src, pos, state.posMax)
    if not silent:
        state.pending += match.group()
    state.pos = match.end()
    return True


def linear_brackets(md: MarkdownIt) -> None:
    """markdown-it plugin: a run of `[` / `!` with no `]` after it is text in one step (the
    same tokens, in linear time). For every parser that reads user text with inline rules."""
    md.inline.ruler.before("text", "unclosed_brackets", _unclosed_brackets)


@cache
def _parser() -> MarkdownIt:
    # html=False: raw HTML in the source is shown as text, not interpreted.
    md = (
        MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
        .enable(["table", "strikethrough"])
        .use(tasklists_plugin)
        .use(linear_brackets)
    )
    return md


def render_markdown(text: str | None) -> str:
    if not text:
        return ""
    return _render(text)


def _render(text: str) -> str:
    html = _parser().render(text)
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class Renderings:
    """The HTML of a report's Markdown texts, rendered once per version and stored with it
    (keyed by a digest of each text, so a text that is not among them — a value typed into
    a refused form — is rendered afresh, never answered with another's HTML)."""

    def __init__(self, stored: dict[str, str] | None = None):
        self.stored = stored or {}

    @classmethod
    def of(cls, texts, *, reuse: dict[str, str] | None = None) -> "Renderings":
        """The renderings of TEXTS, taking those already in REUSE (digest → HTML) as they are."""
        reuse = reuse or {}
        rendered = {}
        for text in filter(None, texts):
            key = digest(text)
            if key not in rendered:
                rendered[key] = reuse[key] if key in reuse else _render(text)
        return cls(rendered)

    @classmethod
    def loads(cls, text: str) -> "Renderings":
        return cls(json.loads(text) if text else {})

    def dumps(self) -> str:
        return json.dumps(self.stored, separators=(",", ":"))

    def html(self, text: str | None) -> str:
        if not text:
            return ""
        found = self.stored.get(digest(text))
        return found if found is not None else _render(text)
