"""Public identifiers: a prefix, then 16 characters of Crockford's base32 (80 random bits)."""

import re
from collections import Counter

from hindsight.lib.ids import new_id


def test_an_id_is_its_prefix_and_16_crockford_characters():
    for _ in range(1000):
        assert re.fullmatch(r"pm_[0-9a-hjkmnp-tv-z]{16}", new_id("pm"))


def test_ids_do_not_repeat_and_use_every_character_alike():
    ids = [new_id("ai")[3:] for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    counts = Counter("".join(ids))
    assert len(counts) == 32
    # 10,000 expected per character; a skew from a bad encoding would show far beyond 10 %.
    assert max(counts.values()) < 11_000 and min(counts.values()) > 9_000
