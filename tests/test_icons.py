"""Icons are inline SVG from the heroicons package, never emoji or symbol characters that
show as an empty box where the reader lacks the font (the lock did, in Debian's Chromium)."""

import re
from pathlib import Path

import pytest

import hindsight.web

WEB = Path(hindsight.web.__file__).parent
TEMPLATES = WEB / "templates"
# Geometric shapes, miscellaneous symbols, dingbats, arrows-and-symbols supplement, emoji:
# characters many systems have no font for. Arrows (←) and punctuation (—, “) are in every
# text font and stay.
NEEDS_A_SYMBOL_FONT = re.compile("[\u25a0-\u25ff\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff]")


def test_no_template_stylesheet_or_script_holds_a_character_that_needs_a_symbol_font():
    files = [*TEMPLATES.rglob("*.html"), *(WEB / "static").rglob("*.css")]
    files += (WEB / "static").rglob("*.js")
    found = {str(f.relative_to(WEB)): NEEDS_A_SYMBOL_FONT.findall(f.read_text()) for f in files}
    assert {name: chars for name, chars in found.items() if chars} == {}


def test_status_badges_carry_an_svg_icon_and_a_word():
    from hindsight.web.templatetags.hindsight_web import badge

    html = str(badge("PUBLISHED"))
    assert html.startswith('<span class="badge badge-published"><svg ')
    assert 'aria-hidden="true"' in html and 'class="icon"' in html
    assert html.endswith("Published</span>")
    assert not NEEDS_A_SYMBOL_FONT.search(html)


def test_an_icon_with_a_label_is_announced_as_an_image():
    from hindsight.web.templatetags.hindsight_web import icon

    html = str(icon("lock-closed", "Locked"))
    assert 'role="img"' in html and 'aria-label="Locked"' in html
    assert 'aria-hidden="true"' not in html


@pytest.fixture
def published(postmortem, alice):
    from hindsight.postmortems import services

    for status in ("IN_REVIEW", "PUBLISHED"):
        services.update_postmortem(postmortem["id"], {"status": status}, by=alice)
    return postmortem["id"]


def test_the_locked_note_shows_a_lock_icon_as_svg(client, alice, published):
    client.force_login(alice)
    body = client.get(f"/postmortems/{published}").content.decode()
    note = re.search(r'<p class="locked".*?</p>', body, re.S).group(0)
    assert "<svg" in note and "🔒" not in note
    assert not NEEDS_A_SYMBOL_FONT.search(body)
