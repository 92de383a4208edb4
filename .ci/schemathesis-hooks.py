"""Loaded by .ci/schemathesis (SCHEMATHESIS_HOOKS): how to make values of the formats the
OpenAPI names that schemathesis does not know.

`entity-tags` is If-Match / If-None-Match: `*` or a list of entity tags (RFC 9110 §8.8.3),
as the header's pattern says. schemathesis's coverage phase makes no value for a header
whose pattern needs characters other than letters and digits (a quote), and then sends the
last value it made for another scenario (`0`) as a valid one; with the format known, it
draws valid headers from here instead.
"""

import schemathesis
from hypothesis import strategies as st

# etagc: %x21 / %x23-7E (no space, no DQUOTE); mostly digits, as this API's tags are.
_opaque = st.one_of(
    st.integers(min_value=0, max_value=99).map(str),
    st.text(alphabet=[chr(c) for c in (0x21, *range(0x23, 0x7F))], max_size=8),
)
_tag = st.builds(lambda weak, value: ("W/" if weak else "") + f'"{value}"', st.booleans(), _opaque)

schemathesis.openapi.format(
    "entity-tags",
    st.one_of(st.just("*"), st.lists(_tag, min_size=1, max_size=3).map(", ".join)),
)
