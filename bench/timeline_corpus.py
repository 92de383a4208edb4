"""Timeline events read per document of a folder of post-mortems, and how many have an instant.

    python bench/timeline_corpus.py ../shared/corpus

Prints, for each Markdown file, the events read, those whose `at` is known (as the import
would resolve them against the incident it creates) and whether `timeline` was recognised;
then the totals. Nothing is written to a database.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hindsight.settings_test")

import django  # noqa: E402

django.setup()

from hindsight.lib.times import resolve_event_time  # noqa: E402
from hindsight.postmortems.markdown.importer import _started_at, parse  # noqa: E402


def main(folder: str) -> None:
    root = Path(folder)
    events_total = known_total = 0
    for path in sorted(root.rglob("*.md")):
        if path.name == "SOURCES.md":
            continue
        draft = parse(path.read_text(encoding="utf-8"))
        start = _started_at(draft)
        events = draft.data.get("timeline", [])
        known = sum(resolve_event_time(e["time"], start) is not None for e in events)
        mark = "T" if "timeline" in draft.recognised else "-"
        print(f"{len(events):4d} {known:4d} {mark} {path.relative_to(root)}")
        events_total += len(events)
        known_total += known
    print(f"events {events_total}, with at {known_total}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/corpus")
