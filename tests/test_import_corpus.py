"""Every file of the shared corpus of real post-mortems imports, one by one, by name.

Each entry says what the file must yield: its title, how many timeline events and action
items (and how many done) were read, which sections were recognised by meaning and which
headings were kept as custom sections. The corpus lives beside the repository
(../shared/corpus, see its SOURCES.md) and is never copied into it.
"""

from dataclasses import dataclass
from pathlib import Path

import pytest

from hindsight.postmortems.markdown.importer import import_markdown, parse
from hindsight.postmortems.models import PostMortem

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the post-mortem corpus is not at {CORPUS}"
)


@dataclass
class Expect:
    name: str
    title: str
    timeline: int
    items: int
    done: int
    recognised: list[str]
    custom: list[str]  # all custom headings, or the first three for long lists

    def __str__(self):
        return self.name


EXPECTED = [
    Expect(
        "2i2c-incident-reports/2023-01-23-Upgrading-ingress-nginx-caused-brief-outage-in-carbonplan.md",
        title="2023-01-23 Upgrading ingress-nginx caused brief outage in carbonplan",
        timeline=0,
        items=0,
        done=0,
        recognised=["impact", "summary"],
        custom=["Preamble", "Important information"],
    ),
    Expect(
        "2i2c-incident-reports/2025-08-12-leap-outage.md",
        title="Incident report August 12 2025 - LEAP hub outage",
        timeline=17,
        items=5,
        done=2,
        recognised=["actionItems", "resolution", "summary", "timeline", "wentWell", "wentWrong"],
        custom=[],
    ),
    Expect(
        "2i2c-infrastructure/2020-10-28-memory-overload.md",
        title="2020-08-28 - Memory overload on WER cluster",
        timeline=6,
        items=5,
        done=0,
        recognised=["actionItems", "summary", "timeline"],
        custom=["Timeline"],
    ),
    Expect(
        "dastergon-postmortem-templates/README.md",
        title="Postmortem Templates",
        timeline=0,
        items=0,
        done=0,
        recognised=["summary"],
        custom=["Template List", "Load templates automatically"],
    ),
    Expect(
        "dastergon-postmortem-templates/postmortem-template-azure.md",
        title="Title (incident)",
        timeline=0,
        items=0,
        done=0,
        recognised=["summary"],
        custom=["Date", "Provide feedback (customer survey)"],
    ),
    Expect(
        "dastergon-postmortem-templates/postmortem-template-elastic.md",
        title="Title of the incident: Date",
        timeline=0,
        items=0,
        done=0,
        recognised=["summary"],
        custom=[],
    ),
    Expect(
        "dastergon-postmortem-templates/postmortem-template-google-api-infra.md",
        title="Title",
        timeline=0,
        items=0,
        done=0,
        recognised=[],
        custom=["Preamble", "Timeline"],
    ),
    Expect(
        "dastergon-postmortem-templates/postmortem-template-michael.kehoe.md",
        title="Postmortem Template",
        timeline=0,
        items=0,
        done=0,
        recognised=["impact", "rootCause", "summary"],
        custom=["Preamble", "Postmortem Attendees", "Incident Timing"],
    ),
    Expect(
        "dastergon-postmortem-templates/postmortem-template-real-world-sre.md",
        title="Title of the incident",
        timeline=0,
        items=0,
        done=0,
        recognised=[],
        custom=["Preamble"],
    ),
    Expect(
        "dastergon-postmortem-templates/postmortem-template-srebook.md",
        title="Title (incident #)",
        timeline=0,
        items=0,
        done=0,
        recognised=[],
        custom=["Preamble", "Date", "Status"],
    ),
    Expect(
        "dastergon-postmortem-templates/postmortem-template-thecloudbook.md",
        title="Title",
        timeline=0,
        items=0,
        done=0,
        recognised=["summary"],
        custom=["Report Status", "Start Date/Time", "End Date/Time"],
    ),
    Expect(
        "dfds-postmortems/PM2019-009 - Kubernetes network infrastructure IP starvation.md",
        title="Kubernetes network infrastructure IP starvation",
        timeline=14,
        items=4,
        done=0,
        recognised=["actionItems", "contributingFactors", "lessonsLearned", "summary", "timeline"],
        custom=[],
    ),
    Expect(
        "dfds-postmortems/PM2020-003 - Postmortem for ADSync migration.md",
        title="ADSync migration issues",
        timeline=5,
        items=4,
        done=0,
        recognised=["actionItems", "contributingFactors", "lessonsLearned", "summary", "timeline"],
        custom=["Timeline", "Stats"],
    ),
    Expect(
        "dfds-postmortems/PM2021-011 - Log4Shell.md",
        title="Log4Shell investigations",
        timeline=26,
        items=6,
        done=0,
        recognised=["actionItems", "lessonsLearned", "participants", "summary", "timeline"],
        custom=["Timeline", "Stats"],
    ),
    Expect(
        "dfds-postmortems/PM2022-009 - Bad AWS EKS AMI causing Kubernetes issues.md",
        title="Bad AWS EKS AMI",
        timeline=20,
        items=7,
        done=0,
        recognised=[
            "actionItems",
            "contributingFactors",
            "lessonsLearned",
            "participants",
            "summary",
            "timeline",
        ],
        custom=["Timeline", "Stats"],
    ),
    Expect(
        "dfds-postmortems/PM2023-001 - Total node failure.md",
        title="Total node failure",
        timeline=16,
        items=6,
        done=2,
        recognised=[
            "actionItems",
            "contributingFactors",
            "lessonsLearned",
            "participants",
            "summary",
            "timeline",
        ],
        custom=["Timeline", "Stats"],
    ),
    Expect(
        "dfds-postmortems/PM2025-002 - Traefik rule preventing some inbound traffic.md",
        title="Traefik Rule Preventing Some Inbound Traffic",
        timeline=12,
        items=6,
        done=0,
        recognised=[
            "actionItems",
            "contributingFactors",
            "lessonsLearned",
            "participants",
            "summary",
            "timeline",
        ],
        custom=["Timeline", "Stats"],
    ),
    Expect(
        "dfds-postmortems/PMyyyy-nnn - Postmortem template.md",
        title="Incident Title",
        timeline=1,
        items=0,
        done=0,
        recognised=["lessonsLearned", "participants", "timeline"],
        custom=["Timeline", "Contributing Factors", "Action Items"],
    ),
    Expect(
        "etcd/v3.5-data-inconsistency.md",
        title="v3.5 data inconsistency postmortem",
        timeline=8,
        items=10,
        done=5,
        recognised=[
            "actionItems",
            "contributors",
            "date",
            "impact",
            "rootCause",
            "summary",
            "timeline",
            "trigger",
            "wentWell",
            "wentWrong",
            "whatHappened",
            "whereWeGotLucky",
        ],
        custom=["Status", "Action items"],
    ),
    Expect(
        "kubernetes-test-infra/2019-01-23.md",
        title="January 23rd, 2019 Prow Outage",
        timeline=11,
        items=2,
        done=0,
        recognised=[
            "actionItems",
            "detectionMethod",
            "impact",
            "resolution",
            "rootCause",
            "summary",
            "timeline",
            "wentWell",
            "wentWrong",
            "whereWeGotLucky",
        ],
        custom=["Preamble", "Timeline", "Appendix"],
    ),
    Expect(
        "kubernetes-test-infra/2019-02-05.md",
        title="February 5th, 2019 Partial Prow Outage",
        timeline=12,
        items=1,
        done=0,
        recognised=[
            "actionItems",
            "detectionMethod",
            "impact",
            "resolution",
            "rootCause",
            "summary",
            "timeline",
            "wentWell",
            "wentWrong",
            "whereWeGotLucky",
        ],
        custom=["Preamble", "Timeline", "#testing-ops chat logs"],
    ),
    Expect(
        "kubernetes-test-infra/2019-02-08.md",
        title="February 8th, 2019 - Prow responding slow & Partial outage",
        timeline=13,
        items=1,
        done=0,
        recognised=[
            "actionItems",
            "impact",
            "resolution",
            "rootCause",
            "summary",
            "timeline",
            "wentWell",
            "wentWrong",
            "whatHappened",
            "whereWeGotLucky",
        ],
        custom=["Preamble", "Timeline", "#testing-ops chat logs"],
    ),
    Expect(
        "kubernetes-test-infra/2019-03-26.md",
        title="March 26th, 2019 Boskos Outage",
        timeline=10,
        items=3,
        done=0,
        recognised=[
            "actionItems",
            "detectionMethod",
            "impact",
            "resolution",
            "rootCause",
            "summary",
            "timeline",
            "wentWell",
            "wentWrong",
            "whereWeGotLucky",
        ],
        custom=["Preamble", "#sig-testing chat log", "#testing-ops chat log"],
    ),
    Expect(
        "kubernetes-test-infra/2019-05-30.md",
        title="May 30th, 2019 Prow Flakiness",
        timeline=11,
        items=2,
        done=0,
        recognised=[
            "actionItems",
            "impact",
            "resolution",
            "rootCause",
            "summary",
            "timeline",
            "wentWell",
            "wentWrong",
            "whatHappened",
            "whereWeGotLucky",
        ],
        custom=["Preamble", "#testing-ops chat log", "GKE EngProd Chat Log"],
    ),
    Expect(
        "kubernetes-test-infra/README.md",
        title="Postmortems",
        timeline=0,
        items=0,
        done=0,
        recognised=["summary"],
        custom=[],
    ),
    Expect(
        "moj-cloud-platform/2021-07-12-all-ingress-apps-live1-stop-working.md",
        title="Incident on 2021-07-12 - All ingress resources using *apps.live-1 domain names stop working",
        timeline=4,
        items=7,
        done=1,
        recognised=["actionItems", "impact", "resolution", "timeline", "whatHappened"],
        custom=["Time to repair", "Time to resolve"],
    ),
    Expect(
        "moj-cloud-platform/2023-01-05-circleci-security-incident.md",
        title="Incident on 2023-01-05 - CircleCI Security Incident",
        timeline=3,
        items=5,
        done=1,
        recognised=["actionItems", "impact", "resolution", "summary", "timeline", "whatHappened"],
        custom=["Key events", "Time to repair", "Time to resolve"],
    ),
    Expect(
        "moj-cloud-platform/2025-07-23-multiple-secrets-leaked-to-public.md",
        title="Incident on 2025-07-23 - Multiple secrets leaked to public",
        timeline=4,
        items=0,
        done=0,
        recognised=["summary", "timeline"],
        custom=[],
    ),
    Expect(
        "moj-cloud-platform/incident-log-aggregate-2024-10-09.md",
        title="Incident Log",
        timeline=0,
        items=0,
        done=0,
        recognised=["summary"],
        custom=[
            "Q3 2024 (July-September)",
            "Q1 2024 (January-April)",
            "Q4 2023 (October-December)",
        ],
    ),
    Expect(
        "mybinder-org-deploy/2017-09-27-hub-403.md",
        title="2017-09-27, Hub 403",
        timeline=6,
        items=5,
        done=0,
        recognised=["actionItems", "rootCause", "summary", "timeline"],
        custom=["Timeline"],
    ),
    Expect(
        "mybinder-org-deploy/2018-01-18-reddit-hug.md",
        title="2018-01-18, reddit hugs mybinder",
        timeline=25,
        items=6,
        done=1,
        recognised=["actionItems", "summary", "timeline"],
        custom=["Timeline"],
    ),
    Expect(
        "mybinder-org-deploy/2018-02-20-jupyterlab-announcement.md",
        title="2018-02-20, JupyterLab Announcement swamps Binder",
        timeline=40,
        items=21,
        done=1,
        recognised=["actionItems", "rootCause", "summary", "timeline"],
        custom=["Timeline", "Zero-to-JupyterHub"],
    ),
    Expect(
        "mybinder-org-deploy/2018-04-18-cull-flood.md",
        title="2018-04-18, Culler flood",
        timeline=15,
        items=7,
        done=0,
        recognised=["actionItems", "lessonsLearned", "summary", "timeline"],
        custom=["Timeline"],
    ),
    Expect(
        "mybinder-org-deploy/2019-04-03-ingress-cordoned.md",
        title="2019-04-03, 30min outage during node pool upgrade",
        timeline=3,
        items=2,
        done=0,
        recognised=[
            "actionItems",
            "summary",
            "timeline",
            "wentWell",
            "wentWrong",
            "whereWeGotLucky",
        ],
        custom=["Timeline", "Action items"],
    ),
    Expect(
        "mybinder-org-deploy/2020-07-09-simultaneous-launches-scipy.md",
        title="2020-07-09, Simultaneous launches (aka, SciPy gives Binder a lot of hugs at the same time)",
        timeline=4,
        items=10,
        done=1,
        recognised=["actionItems", "summary", "timeline", "wentWell", "wentWrong"],
        custom=["Timeline", "Documentation improvements"],
    ),
    Expect(
        "mybinder-org-deploy/2022-01-27-prime-version.md",
        title="2022-01-27, stale prime version",
        timeline=5,
        items=4,
        done=0,
        recognised=[
            "actionItems",
            "summary",
            "timeline",
            "wentWell",
            "wentWrong",
            "whereWeGotLucky",
        ],
        custom=["Timeline"],
    ),
    Expect(
        "mybinder-org-deploy/template-incident-report.md",
        title="Template for reports",
        timeline=0,
        items=6,
        done=0,
        recognised=["actionItems", "summary", "wentWell", "wentWrong", "whereWeGotLucky"],
        custom=["Timeline", "Action items"],
    ),
    Expect(
        "posthog-post-mortems/2025-09-29-flags-is-down.md",
        title="PostHog Feature Flags Service Outage - September 29, 2025",
        timeline=8,
        items=9,
        done=2,  # "Immediate Actions (Completed)"
        recognised=[
            "actionItems",
            "impact",
            "lessonsLearned",
            "rootCauseAnalysis",
            "summary",
            "timeline",
        ],
        custom=["Preamble"],
    ),
    Expect(
        "posthog-post-mortems/2025-11-15-persons-db-migration.md",
        title="PostHog Data Processing Delays - Events & Persons Ingestion (November 2025)",
        timeline=0,
        items=37,
        done=30,  # "Immediate actions (completed)"
        recognised=[
            "actionItems",
            "impact",
            "lessonsLearned",
            "rootCauseAnalysis",
            "summary",
            "wentWell",
            "wentWrong",
        ],
        custom=["Preamble", "Timeline", "Stage 1: Healthy Database State"],
    ),
    Expect(
        "posthog-post-mortems/2025-11-26-shai-hulud-attack.md",
        title="Post-mortem of Shai-Hulud attack on November 24th, 2025",
        timeline=0,
        items=4,
        done=0,
        recognised=["actionItems", "rootCause", "summary"],
        custom=["What should you do?", "How are we preventing it from happening again?"],
    ),
    Expect(
        "posthog-post-mortems/2026-01-17-replay-sdk-fetch-wrapper-incident.md",
        title="Post-Mortem: Changes to SDK fetch() wrapper breaking client sites",
        timeline=10,
        items=7,
        done=1,
        recognised=[
            "actionItems",
            "impact",
            "lessonsLearned",
            "resolution",
            "rootCause",
            "summary",
            "timeline",
        ],
        custom=["Preamble", "Action Items"],
    ),
    Expect(
        "posthog-post-mortems/investigations-2024-02-28-decide is down.md",
        title="Internal post-mortem: https://github.com/PostHog/incidents-analysis/pull/58",
        timeline=0,
        items=0,
        done=0,
        recognised=["summary"],
        custom=[],
    ),
    Expect(
        "posthog-post-mortems/investigations-template.md",
        title="Incident title - DD/MM/YYYY",
        timeline=0,
        items=1,
        done=0,
        recognised=["actionItems", "detectionMethod", "resolution", "whatHappened"],
        custom=["Timeline summary", "Escalation", "Prevention"],
    ),
    Expect(
        "usdr-univaf/2021-06-03--database-full.md",
        title="2021-06-03: Database Full",
        timeline=8,
        items=4,
        done=1,
        recognised=["actionItems", "participants", "summary", "timeline", "wentWell", "wentWrong"],
        custom=["Timeline"],
    ),
    Expect(
        "usdr-univaf/2021-06-11--database-low.md",
        title="2021-06-11: Database Storage Low",
        timeline=12,
        items=1,
        done=0,
        recognised=["actionItems", "participants", "summary", "timeline", "wentWell", "wentWrong"],
        custom=["Timeline"],
    ),
    Expect(
        "usdr-univaf/2021-06-28--external-id-migration.md",
        title="2021-06-28: External ID Migration",
        timeline=6,
        items=1,
        done=0,
        recognised=["actionItems", "participants", "summary", "timeline", "wentWell", "wentWrong"],
        custom=["Timeline"],
    ),
    Expect(
        "usdr-univaf/2021-06-29--actions-budget-terraform-state.md",
        title="2021-06-29: Broken Deploys with No Actions Budget and Bad Terraform State",
        timeline=14,
        items=4,
        done=0,
        recognised=["actionItems", "participants", "summary", "timeline", "wentWell", "wentWrong"],
        custom=["Timeline"],
    ),
    Expect(
        "usdr-univaf/2022-04-15--no-update-external-ids.md",
        title="2022-04-15: Availability Updates Broken Because External IDs are Out of IDs",
        timeline=8,
        items=3,
        done=0,
        recognised=["actionItems", "participants", "summary", "timeline", "wentWell", "wentWrong"],
        custom=["Timeline", "Action Items"],
    ),
    Expect(
        "usdr-univaf/template.md",
        title="[Date]: [Title]",
        timeline=0,
        items=3,
        done=0,
        recognised=["actionItems", "participants", "summary", "wentWell", "wentWrong"],
        custom=["Preamble", "Timeline"],
    ),
]
BY_NAME = {e.name: e for e in EXPECTED}


def _text(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


@needs_corpus
def test_every_corpus_file_has_an_expectation():
    files = {
        str(p.relative_to(CORPUS))
        for p in CORPUS.rglob("*")
        if p.is_file() and p.name != "SOURCES.md"
    }
    assert files == set(BY_NAME)


@needs_corpus
@pytest.mark.parametrize("expect", EXPECTED, ids=str)
def test_the_corpus_file_yields_what_it_says(expect):
    draft = parse(_text(expect.name))
    data = draft.data
    assert data["title"] == expect.title
    assert len(data["timeline"]) == expect.timeline
    assert len(data["actionItems"]) == expect.items
    assert sum(i["status"] == "DONE" for i in data["actionItems"]) == expect.done
    assert sorted(draft.recognised) == expect.recognised
    assert draft.custom[: len(expect.custom)] == expect.custom
    if len(expect.custom) < 3:
        assert draft.custom == expect.custom


@needs_corpus
@pytest.mark.django_db
@pytest.mark.parametrize("expect", EXPECTED, ids=str)
def test_the_corpus_file_imports(expect, alice):
    result = import_markdown(_text(expect.name), by=alice)
    stored = PostMortem.objects.get(pk=result.postmortem.pk)
    assert stored.title == expect.title
    assert len(stored.timeline) == expect.timeline
    assert len(stored.action_item_list) == expect.items
    assert [s["heading"] for s in stored.section("custom_sections")][:3] == expect.custom[:3]


# A few files checked in more detail: what the generic counts above cannot say.


@needs_corpus
def test_setext_headings_without_a_hash_title_are_read():
    draft = parse(_text("posthog-post-mortems/2025-11-15-persons-db-migration.md"))
    assert draft.data["title"].startswith("PostHog Data Processing Delays")
    assert "rootCauseAnalysis" in draft.recognised
    assert draft.data["rootCauseAnalysis"]["technicalCause"]


@needs_corpus
def test_a_document_without_headings_keeps_all_its_prose():
    text = _text("posthog-post-mortems/investigations-2024-02-28-decide is down.md")
    draft = parse(text)
    assert draft.data["summary"].split() == text.split()


@needs_corpus
def test_a_pst_timeline_keeps_its_offset_with_the_time_as_written():
    events = parse(_text("kubernetes-test-infra/2019-01-23.md")).data["timeline"]
    assert all(e["time"].startswith("2019-01-2") and e["time"].endswith("-08:00") for e in events)
    assert "PM PST" in events[0]["notes"]


@needs_corpus
def test_a_task_list_keeps_its_done_state():
    items = parse(_text("2i2c-incident-reports/2025-08-12-leap-outage.md")).data["actionItems"]
    assert [i["status"] for i in items].count("DONE") == 2


@needs_corpus
def test_an_action_item_table_keeps_priority_type_and_status():
    items = parse(_text("etcd/v3.5-data-inconsistency.md")).data["actionItems"]
    assert {i["priority"] for i in items} <= {"HIGH", "MEDIUM", "LOW"}
    assert any(i["priority"] == "HIGH" for i in items)
    assert all("Type:" in (i["why"] or "") for i in items)


@needs_corpus
def test_label_bullets_become_sections():
    draft = parse(_text("moj-cloud-platform/2021-07-12-all-ingress-apps-live1-stop-working.md"))
    assert draft.data["impact"].startswith("All ingress resources")
    assert [e["time"] for e in draft.data["timeline"]][0] == "2021-07-12T15:44:00Z"
    assert "Time to repair" in draft.custom


@needs_corpus
def test_the_aggregate_log_keeps_every_quarter():
    text = _text("moj-cloud-platform/incident-log-aggregate-2024-10-09.md")
    draft = parse(text)
    bodies = "\n".join(s["body"] for s in draft.data["customSections"])
    assert len(draft.custom) >= 10
    assert bodies.count("Incident on") >= 30
