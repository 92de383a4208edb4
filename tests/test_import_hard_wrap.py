"""A paragraph hard-wrapped across lines stays one paragraph wherever the importer keeps it:
no blank line is inserted between its lines in the stored Markdown."""

import pytest

from hindsight.postmortems.markdown.importer import import_markdown
from hindsight.postmortems.models import PostMortem

WRAPPED = "We reconstructed this from the chat log\nand the pager history, which\ndisagree."

PLACES = {
    "a timeline's intro": f"## Timeline\n\n{WRAPPED}\n\n- 10:00 Push\n- 10:05 Alert\n",
    "a timeline with no entries": f"## Timeline\n\n{WRAPPED}\n",
    "the summary": f"## Summary\n\n{WRAPPED}\n",
    "the preamble beside labels": f"**Impact**: Down.\n**Trigger**: A push.\n\n{WRAPPED}\n",
    "before a follow-ups label": (
        f"## Resolution\n\n{WRAPPED}\n\n**Actions taken:**\n- Restarted the nodes\n"
    ),
    "after start and end lines": (
        f"Start: 2021-03-04 10:00 UTC\nEnd: 2021-03-04 12:30 UTC\n\n{WRAPPED}\n"
    ),
    "a custom section": f"## Odds and ends\n\n{WRAPPED}\n",
    "an action items section": f"## Action Items\n\n{WRAPPED}\n\n- Add an alert\n",
    "a section of a group": f"## Lessons Learned\n\n### Process\n\n{WRAPPED}\n",
}


def _texts(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _texts(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _texts(inner)


@pytest.mark.django_db
@pytest.mark.parametrize("place", PLACES)
def test_a_hard_wrapped_paragraph_is_stored_as_one(place, alice):
    result = import_markdown(f"# Cache outage\n\n{PLACES[place]}", by=alice)
    stored = PostMortem.objects.get(pk=result.postmortem.pk)
    texts = [stored.summary, stored.impact or "", *_texts(stored.sections)]
    assert any(WRAPPED in text for text in texts), texts
    assert not any("chat log\n\nand" in t or "which\n\ndisagree" in t for t in texts)
