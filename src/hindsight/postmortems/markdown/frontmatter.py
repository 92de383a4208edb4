"""The YAML block at the top of an exported report: the values prose cannot carry."""

import yaml

MARKER = "hindsight"  # key naming the layout version; its presence means "our own export"
VERSION = 1


def dump(values: dict) -> str:
    """`---` + YAML (safe, sorted keys, unicode kept) + `---`, or "" for nothing to say.

    A long string is written on one line (width is unbounded) so no line of the block can
    read as the closing `---`."""
    if not values:
        return ""
    text = yaml.safe_dump(
        values, sort_keys=True, allow_unicode=True, default_flow_style=False, width=2**31 - 1
    )
    lines = text.splitlines()
    if any(line.startswith(("---", "...")) for line in lines):
        text = yaml.safe_dump(
            values, sort_keys=True, allow_unicode=True, default_style='"', width=2**31 - 1
        )
    return f"---\n{text}---\n"


def load(text: str) -> dict:
    """The front matter's mapping; anything else (a list, a scalar, broken YAML) is {}."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return value if isinstance(value, dict) else {}
