"""The YAML block at the top of an exported report: the values prose cannot carry."""

import math
import re
from datetime import date, datetime

import yaml

from hindsight.lib.errors import Invalid
from hindsight.postmortems import limits

MARKER = "hindsight"  # key naming the layout version; its presence means "our own export"
VERSION = 1


class _Dumper(yaml.SafeDumper):
    # An alias would be refused on the way back in (see _Loader); write values out in full.
    def ignore_aliases(self, data) -> bool:
        return True


class _Loader(yaml.SafeLoader):
    """Safe YAML without anchors and aliases: eight levels of nested aliases in a few
    hundred bytes expand to gigabytes, and nothing a post-mortem says needs them."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise Invalid(
                "The front matter uses a YAML alias (*name); write the value out in full.",
                fields={"frontMatter": f"YAML alias at line {event.start_mark.line + 1}"},
            )
        return super().compose_node(parent, index)

    def construct_big_int(self, node):
        # Python refuses to convert an integer of more than 4,300 digits (a ValueError from
        # deep inside the loader); no value of a post-mortem is a number that long.
        if len(node.value) > MAX_DIGITS:
            key = _key_at(self.buffer, node.start_mark.line)
            raise Invalid(
                f"The front matter's {key} holds a number of more than {MAX_DIGITS} digits.",
                fields={key: f"a number of more than {MAX_DIGITS} digits"},
            )
        return self.construct_yaml_int(node)


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_big_int)
MAX_DIGITS = limits.NUMBER_DIGITS


def _key_at(text: str, line: int) -> str:
    """The top-level key whose value holds LINE (0-based) of the YAML TEXT."""
    for candidate in reversed(text.split("\n")[: line + 1]):
        match = re.match(r"^([^\s#:-][^:]*):", candidate)
        if match:
            return match.group(1).strip().strip("'\"")
    return "frontMatter"


def dump(values: dict) -> str:
    """`---` + YAML (safe, sorted keys, unicode kept) + `---`, or "" for nothing to say.

    A long string is written on one line (width is unbounded) so no line of the block can
    read as the closing `---`."""
    if not values:
        return ""
    options = {"sort_keys": True, "allow_unicode": True, "width": 2**31 - 1, "Dumper": _Dumper}
    text = yaml.dump(values, default_flow_style=False, **options)
    lines = text.splitlines()
    if any(line.startswith(("---", "...")) for line in lines):
        text = yaml.dump(values, default_style='"', **options)
    return f"---\n{text}---\n"


def load(text: str) -> dict:
    """The front matter's mapping; anything else (a list, a scalar, broken YAML) is {}.
    Raises Invalid for an alias (see _Loader)."""
    try:
        value = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError:
        return {}
    return value if isinstance(value, dict) else {}


def as_json(value):
    """A YAML value as JSON can hold it: dates as ISO 8601 text, keys as text, sets as
    lists, and what JSON has no form for (NaN, binary) as its text."""
    if isinstance(value, dict):
        return {str(key): as_json(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple | set):
        return [as_json(inner) for inner in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
