"""Import stands up to crafted documents: no YAML alias bombs, no quadratic reading, and a
malformed front-matter key is a 422 naming it, never a 500."""

import time

import pytest

from hindsight.incidents.models import Incident
from hindsight.postmortems import limits
from hindsight.postmortems.markdown.importer import parse
from hindsight.postmortems.models import PostMortem

pytestmark = pytest.mark.django_db

MIB = 1 << 20
# The bound for each crafted mebibyte (the old costs: "[" * 80,000 took 18 s and grew
# quadratically, the alias bomb 17 s and 1.4 GB, 40,000 checklist items 29 s). It bounds the
# CPU time of this process, which reads the document, so that other work on a shared machine
# does not count; WALL only catches waiting (on the writer, on a lock).
BOUND = 2.0
WALL = 10.0


class Clock:
    def __enter__(self):
        self.cpu, self.wall = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.cpu = time.process_time() - self.cpu
        self.wall = time.perf_counter() - self.wall

    def within(self, bound: float = BOUND) -> bool:
        return self.cpu < bound and self.wall < WALL


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
    with Clock() as took:
        response = _import(api_for(alice), _alias_bomb())
    assert took.within(), (took.cpu, took.wall)
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
    with Clock() as took:
        parse(SHAPES[shape])
    assert took.within(), (shape, took.cpu, took.wall)


def test_a_crafted_mebibyte_is_answered_quickly_over_http(alice, api_for):
    with Clock() as took:
        response = _import(api_for(alice), "[" * (MIB - 1024))
    assert took.within(), (took.cpu, took.wall)
    assert response.status_code == 201, response.content


CHECKLIST = "# T\n\n## Action Items\n\n"


def test_a_mebibyte_of_checklist_items_is_refused_quickly_naming_the_limit(alice, api_for):
    text = CHECKLIST + "- [ ] x\n" * ((MIB - 1024) // 8)  # 130,944 items
    with Clock() as took:
        response = _import(api_for(alice), text)
    assert took.within(), (took.cpu, took.wall)
    assert response.status_code == 422, response.content[:300]
    body = response.json()
    assert body["fields"] == {"actionItems": f"at most {limits.ACTION_ITEMS} entries"}
    assert body["limit"] == limits.ACTION_ITEMS
    assert "130,944 checklist items" in body["message"]
    assert not PostMortem.objects.exists()
    assert not Incident.objects.exists()


def test_one_item_over_the_limit_is_refused_the_same_way(alice, api_for):
    text = CHECKLIST + "- [ ] x\n" * (limits.ACTION_ITEMS + 1)
    response = _import(api_for(alice), text)
    assert response.status_code == 422
    assert response.json()["fields"] == {"actionItems": f"at most {limits.ACTION_ITEMS} entries"}
    assert not PostMortem.objects.exists()
    assert not Incident.objects.exists()


def test_a_checklist_at_the_limit_imports_and_long_checklists_elsewhere_stay_text(alice, api_for):
    at_limit = _import(api_for(alice), CHECKLIST + "- [ ] x\n" * limits.ACTION_ITEMS)
    assert at_limit.status_code == 201, at_limit.content[:300]
    assert len(at_limit.json()["postmortem"]["actionItems"]) == limits.ACTION_ITEMS
    # Under a heading that takes no items, a checklist is the section's text, however long.
    runs = "- [ ] a\n" * (limits.ACTION_ITEMS + 500)
    response = _import(api_for(alice), f"# T\n\n## Launch checklist\n\n{runs}")
    assert response.status_code == 201, response.content[:300]
    body = response.json()["postmortem"]
    assert body["actionItems"] == []
    assert body["customSections"][0]["body"] == runs.strip()
    assert PostMortem.objects.count() == 2


def test_too_many_sections_are_a_422_naming_the_list(alice, api_for):
    sections = "".join(f"## Aside {n}\n\nText.\n\n" for n in range(limits.CUSTOM_SECTIONS + 1))
    response = _import(api_for(alice), f"# T\n\n{sections}")
    assert response.status_code == 422, response.content[:300]
    assert "customSections" in response.json()["fields"]
    assert not PostMortem.objects.exists()
    assert not Incident.objects.exists()


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
