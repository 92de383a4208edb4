"""Export to Markdown, import, export again: the same document and the same report."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hindsight.postmortems import export, services
from hindsight.postmortems.markdown import frontmatter, importer

# Text a team might write, and text built to break a Markdown writer.
TRICKY = [
    "*",
    "_",
    "#",
    "|",
    "[",
    "]",
    "<",
    ">",
    "`",
    "\\",
    "- ",
    "1. ",
    "2.5",
    "\n",
    "\n\n",
    "---",
    "===",
    "```",
    "~~~",
    "<!--",
    "> ",
    "[x] ",
    "    ",
    "é",
    "日本",
    "🙂",
    "—",
    " · due: ",
    "(HIGH)",
    "unassigned",
    "_None._",
    "14:35 - ",
]
words = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x85"),
    min_size=1,
    max_size=12,
)
text = st.lists(st.one_of(words, st.sampled_from(TRICKY)), min_size=1, max_size=6).map("".join)
line = text.map(lambda t: " ".join(t.split()) or "x")
maybe = st.none() | text
times = st.sampled_from(
    ["09:00", "14:35", "23:59:30", "2026-03-01T14:35:00Z", "2026-02-28T23:00:00Z"]
)
kinds = st.none() | st.sampled_from(["TRIGGER", "DETECTION", "MITIGATION", "OTHER"])

event = st.fixed_dictionaries(
    {"time": times, "description": text.filter(str.strip)},
    optional={"who": line, "notes": text, "kind": kinds},
)
item = st.fixed_dictionaries(
    {"description": text.filter(str.strip)},
    optional={
        "owner": line,
        "status": st.sampled_from(["TODO", "IN_PROGRESS", "DONE"]),
        "priority": st.sampled_from(["HIGH", "MEDIUM", "LOW"]),
        "dueDate": st.sampled_from(["2026-04-01", "2027-12-31"]),
        "horizon": st.sampled_from(["IMMEDIATE", "SHORT_TERM", "LONG_TERM"]),
        "why": text,
        "category": st.sampled_from(["TEST", "MONITORING", "PROCESS"]),
    },
)
review = st.fixed_dictionaries(
    {}, optional=dict.fromkeys(("detection", "response", "communication", "remediation"), maybe)
)
sections = st.fixed_dictionaries(
    {},
    optional={
        "detectionMethod": line,
        "incidentCommander": line,
        "participants": st.lists(line, max_size=3),
        "executiveSummary": text,
        "whatHappened": st.fixed_dictionaries({}, optional={"whatBroke": text, "logs": text}),
        "impactAnalysis": st.fixed_dictionaries(
            {},
            optional={
                "users": st.fixed_dictionaries(
                    {},
                    optional={
                        "totalAffected": st.integers(0, 10**9),
                        "segments": text,
                        "durationMinutes": st.floats(0, 1e6, allow_nan=False),
                    },
                ),
                "business": st.fixed_dictionaries(
                    {}, optional={"revenueLoss": st.floats(0, 1e9), "reputation": text}
                ),
            },
        ),
        "contributingFactors": st.lists(
            st.fixed_dictionaries(
                {"factor": text.filter(str.strip)},
                optional={"howItContributed": text, "whyItExisted": text},
            ),
            max_size=2,
        ),
        "fiveWhys": st.fixed_dictionaries(
            {},
            optional={
                "problem": text,
                "whys": st.lists(
                    st.fixed_dictionaries(
                        {"why": text.filter(str.strip)}, optional={"answer": text}
                    ),
                    max_size=3,
                ),
            },
        ),
        "wentWell": review,
        "wentWrong": review,
        "whereWeGotLucky": text,
        "lessonsLearned": st.fixed_dictionaries({}, optional={"process": text}),
        "communication": st.lists(
            st.fixed_dictionaries({"audience": line}, optional={"message": text, "when": line}),
            max_size=2,
        ),
        "appendix": st.fixed_dictionaries(
            {},
            optional={
                "references": st.lists(
                    st.fixed_dictionaries(
                        {"label": line, "url": st.just("https://example.com/a_b")}
                    ),
                    max_size=2,
                ),
                "relatedPostmortems": st.lists(st.just("pm_other"), max_size=1),
                "metrics": text,
            },
        ),
        "customSections": st.lists(
            st.fixed_dictionaries({"heading": line, "body": text}), max_size=3
        ),
    },
)
report = st.fixed_dictionaries(
    {"title": line, "summary": text},
    optional={
        "impact": maybe,
        "rootCause": maybe,
        "timeline": st.lists(event, max_size=4),
        "actionItems": st.lists(item, max_size=4),
        "contributors": st.lists(line, max_size=2),
        "tags": st.lists(line.map(lambda t: t.replace(",", ";")[:100]), max_size=3),
    },
).flatmap(lambda base: sections.map(lambda extra: {**base, **extra}))


def _create(data, user, incident_id="inc_123"):
    from hindsight.postmortems.schemas import PostMortemCreate

    body = {**data, "incidentId": incident_id}
    return services.create_postmortem(PostMortemCreate.model_validate(body).data(), by=user)


@pytest.mark.django_db(transaction=False)
@settings(
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=report)
def test_export_import_export_gives_the_same_markdown_and_the_same_report(data, alice, incident):
    original = _create(data, alice)
    first = export.to_markdown(original)
    imported = importer.import_markdown(first, by=alice, incident_id=incident.pk).postmortem
    assert export.to_markdown(imported) == first
    assert export.record(imported) == export.record(original)


def test_a_plain_report_needs_no_exact_copies_in_its_front_matter(alice, incident):
    original = _create(
        {
            "title": "Checkout down",
            "summary": "The *checkout* failed.\n\nTwo paragraphs, a [link](https://x.example).",
            "impact": "1,200 users.",
            "rootCause": "Pool too small.",
            "timeline": [
                {"time": "14:35", "description": "Spike", "who": "bob", "kind": "TRIGGER"},
                {"time": "14:50", "description": "Fixed | restored", "notes": "two\nlines"},
            ],
            "actionItems": [
                {
                    "description": "Alert on pool",
                    "owner": "ops@example.com",
                    "horizon": "IMMEDIATE",
                },
                {"description": "Load test", "category": "TEST", "why": "never tested"},
            ],
            "contributors": ["alice@example.com"],
            "tags": ["database"],
            "wentWell": {"detection": "Paged in 2 minutes."},
            "impactAnalysis": {"users": {"totalAffected": 1200, "segments": "EU"}},
            "customSections": [{"heading": "Glossary", "body": "- **pool**: connections"}],
        },
        alice,
    )
    text = export.to_markdown(original)
    front = frontmatter.load(text.split("---\n")[1])
    assert "exact" not in front
    assert front["impactAnalysis"] == {"users": {"totalAffected": 1200}}
    assert front["timeline"][0] == {"kind": "TRIGGER"}
    assert front["actionItemOrder"] == [0, 1] if "actionItemOrder" in front else True
    imported = importer.import_markdown(text, by=alice, incident_id=incident.pk).postmortem
    assert export.record(imported) == export.record(original)
