"""Import stands up to crafted documents: no YAML alias bombs, no quadratic reading, and a
malformed front-matter key is a 422 naming it, never a 500."""

import time

import pytest

from hindsight.postmortems.markdown.importer import parse
from hindsight.postmortems.models import PostMortem

pytestmark = pytest.mark.django_db

MIB = 1 << 20
# Each answers in well under 2 s on an idle machine; the bound is generous for a loaded CI
# machine and still far below the old cost (quadratic: "[" * 80,000 took 18 s, so a mebibyte
# took most of an hour; the alias bomb 17 s and 1.4 GB).
BOUND = 10.0


def _import(api, text, query=""):
    return api.post(f"/api/postmortems/import{query}", raw=text, content_type="text/markdown")


def _alias_bomb(levels: int = 8) -> str:
    lines = ["---", "a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels):
        previous = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{previous}]")
    lines += [f"contributors: [*a{levels - 1}]", "---", "# Bomb", ""]
    return "\n".join(lines)


def test_it_refuses_yaml_aliases_in_front_matter(alice, api_for):
    started = time.perf_counter()
    response = _import(api_for(alice), _alias_bomb())
    assert time.perf_counter() - started < BOUND
    assert response.status_code == 422, response.content
    assert "frontMatter" in response.json()["fields"]
    assert not PostMortem.objects.exists()


def test_an_export_never_writes_aliases_even_for_a_shared_value():
    from hindsight.postmortems.markdown import frontmatter

    shared = ["a", "b"]
    text = frontmatter.dump({"tags": shared, "participants": shared})
    assert "&" not in text and "*" not in text
    assert frontmatter.load(text.strip("-\n")) == {"tags": shared, "participants": shared}


SHAPES = {
    "a run of brackets": "[" * MIB,
    "a heading of brackets": "# " + "[" * MIB,
    "brackets after a title": "# T\n\n" + "[" * MIB,
    "link-like runs": "# T\n\n" + "[a](" * (MIB // 4),
    "a heading of link-like runs": "# " + "[a](" * (MIB // 4),
    "a reference of brackets": "# T\n\n## References\n\n- " + "[" * MIB + "](x)",
    "our own item line": "---\nhindsight: 1\n---\n# T\n\n## Action Items\n\n- [ ] "
    + " (HIGH) — owner: x" * (MIB // 20)
    + "\n",
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_crafted_mebibyte_is_read_in_linear_time(shape):
    started = time.perf_counter()
    parse(SHAPES[shape])
    assert time.perf_counter() - started < BOUND, shape


def test_a_crafted_mebibyte_is_answered_quickly_over_http(alice, api_for):
    started = time.perf_counter()
    response = _import(api_for(alice), "[" * (MIB - 1024))
    assert time.perf_counter() - started < BOUND * 2
    assert response.status_code == 201, response.content


OURS = "---\nhindsight: 1\n{front}---\n# Title\n\n## Summary\n\nText.\n"


@pytest.mark.parametrize(
    ("front", "key"),
    [
        ("exact:\n  timeline.99.time: '10:00'\n", "exact.timeline.99.time"),
        ("exact:\n  title.x: y\n", "exact.title.x"),
        ("actionItemOrder: [5, 'a']\n", "actionItemOrder"),
        ("tags: [" + "9" * 5000 + "]\n", "tags"),
    ],
)
def test_a_malformed_front_matter_key_is_a_422_naming_it(alice, api_for, front, key):
    response = _import(api_for(alice), OURS.format(front=front))
    assert response.status_code == 422, response.content
    assert key in response.json()["fields"]
    assert not PostMortem.objects.exists()


def test_a_large_number_in_someone_elses_front_matter_is_named_too(alice, api_for):
    response = _import(api_for(alice), "---\nseverity: " + "1" * 5000 + "\n---\n# T\n")
    assert response.status_code == 422
    assert "severity" in response.json()["fields"]
