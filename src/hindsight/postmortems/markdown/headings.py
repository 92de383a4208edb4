"""What a heading means, whatever words a team used for it.

A heading is normalised (lower case, no Markdown emphasis, punctuation or leading
numbering) and matched against the patterns below, first match wins. Patterns are tried
in the context of the enclosing section first ("Detection" under "What went well" is that
review's detection phase; at the top it is how the incident was detected), then at the top.

Targets are camelCase field paths of the API form ("wentWell.detection"), or one of the
importer's own kinds: "timeline", "actionItems", "participants", "contributors", "tags",
"overview", "date", "severity", "started", "ended"; and, under action items, "horizon:…" / "category:…".
"""

import re

# Order matters: the specific before the general ("summary of impact" before "summary").
ROOT: list[tuple[str, str]] = [
    (r"^(incident )?overview$|^incident (details|information|info)$", "overview"),
    (r"^triggers?( s)?$|^what triggered (it|this|the incident)", "trigger"),
    (r"^(detection|alerts?|alerting|how (was it|it was|we) (detected|alerted))$", "detection"),
    (r"^background$|^context$", "whatHappened"),
    (r"^fallout$", "impact"),
    (r"^(executive|exec|management|business) summary|^tl ?dr", "executiveSummary"),
    (r"^(summary of impact|impact summary)", "impact"),
    (r"^impact analysis$|^detailed impact", "impactAnalysis"),
    (r"^(issue |incident |outage )?(summary|synopsis|abstract)$|^short summary", "summary"),
    (
        r"^(what|things that|where we) went (well|right)|^went well|^what worked"
        r"|^what we did well",
        "wentWell",
    ),
    (
        r"^(what|things that|where we) went (wrong|poorly|badly)|^went wrong"
        r"|^what (did ?n ?t|did not|could have) (go|gone) (so )?(well|better)"
        r"|^what could (have gone|be) better|^what did ?n ?t work|^where we got unlucky",
        "wentWrong",
    ),
    (r"lucky", "whereWeGotLucky"),
    (r"^(lessons?|learnings?|takeaways?|key takeaways|insights)\b", "lessonsLearned"),
    (r"^contributing (factors?|conditions|causes)", "contributingFactors"),
    (r"^(five|5) whys", "fiveWhys"),
    (r"^root cause analysis$|^rca$|^technical analysis$", "rootCauseAnalysis"),
    (
        r"^(root )?causes?\b|^root cause|^why did (it|this) happen|^what caused|^cause of"
        r"|^conclusions?$|^how did (it|this|that) happen|^(the )?vulnerability$",
        "rootCause",
    ),
    (
        r"timeline|^chronology|^sequence of events|^chain of events|^key events|^events$"
        r"|^incident log$",
        "timeline",
    ),
    (
        r"^(action items?|actions?|actions? taken|actions? items|follow ?ups?|follow up actions"
        r"|next steps|corrective|prevent(at)?ive|remediations?|remediation (items|actions)"
        r"|(counter ?)?measures?"
        r"|review actions|to ?dos?|planned actions|immediate actions|improvements"
        r"|what (we are|were) doing|prevention|preventing)\b"
        r"|^how (are|will|do) we (prevent|avoid)",
        "actionItems",
    ),
    (
        r"^(resolution|recovery|mitigation|fix|the fix|how (it was|we) fixed|how we fixed"
        r"|how (it was|we) resolved|resolution and recovery|recovery and resolution"
        r"|response$|incident response$|details of (the )?(mitigation|fix|resolution)"
        r"|short term (fix|mitigation|solution)|long term (fix|solution))",
        "resolution",
    ),
    (
        r"^(customer |user |business |service |incident )?impact\b|^impact$|^blast radius"
        r"|^affected (users|customers|services)|^who was affected",
        "impact",
    ),
    (
        r"^(what happened|how did (it|this) happen|outage description|incident description"
        r"|description|details|chain of events)\b",
        "whatHappened",
    ),
    (
        r"^(detection|identified|how (was it|it was|we) (detected|identified)|how we (found|noticed))",
        "whatHappened.monitoring",
    ),
    (r"^detection method$|^detected by$", "detectionMethod"),
    (r"^(what users saw|user experience|customer experience)$", "whatHappened.whatUsersSaw"),
    (r"^recommendations?$|^suggestions$", "recommendations"),
    (r"^(communications?|stakeholder communications?|customer communications?)$", "communication"),
    (r"^(acknowledge?ments|thanks|credits|kudos)$", "acknowledgments"),
    (
        r"^(ap+e?ndi(x|ces|nx)|apendix|supporting (information|material)|references"
        r"|further reading|related (links|documents|incidents))\b",
        "appendix",
    ),
    (r"^(contributors|authors?|written by|report authors?)$", "contributors"),
    (
        r"^(participants|responders|attendees|people involved|names of people involved"
        r"|who was involved|incident (team|responders)|team)$",
        "participants",
    ),
    (r"^(incident commander|ic|incident lead|incident manager)$", "incidentCommander"),
    (r"^(hotfix|hotfix reference|change reference|fix reference)$", "hotfixReference"),
    (r"^(tags|labels)$", "tags"),
    (r"^(date|incident date|start date( ?/ ?time)?|date of incident)$", "date"),
    (
        r"^((incident |outage )?(start|started|began|begin)( at| time| date ?time| date and time)?"
        r"|start of (the )?(incident|outage))$",
        "started",
    ),
    (
        r"^((incident |outage )?(end|ended|resolved|finished)( at| time| date ?time"
        r"| date and time)?|end of (the )?(incident|outage))$",
        "ended",
    ),
    (r"^(severity|sev|incident severity|priority)$", "severity"),
]

CONTEXT: dict[str, list[tuple[str, str]]] = {
    "review": [
        (r"detect|alert|monitor", "detection"),
        (r"respon|escalat|investig|triage", "response"),
        (r"communicat", "communication"),
        (r"remediat|recover|fix|mitigat|resol", "remediation"),
    ],
    "lessonsLearned": [
        (r"^technical|^tech\b|^engineering", "technical"),
        (r"^process", "process"),
        (r"^communicat", "communication"),
    ],
    "whatHappened": [
        (r"broke|what failed|failure", "whatBroke"),
        (r"users? saw|users? experienced|customers? saw", "whatUsersSaw"),
        (r"logs?\b", "logs"),
        (r"monitoring|detect|alert", "monitoring"),
    ],
    "rootCauseAnalysis": [
        (r"^technical", "technicalCause"),
        (r"tests?|not caught|catch", "whyNotCaught"),
        (r"why it existed|why", "whyItExisted"),
    ],
    "resolution": [
        (r"workaround", "workarounds"),
        (r"fix|resol|recover", "howFixed"),
    ],
    "impactAnalysis": [
        (r"segment", "users.segments"),
        (r"geograph|region", "users.geography"),
        (r"reputation", "business.reputation"),
        (r"opportunity", "engineering.opportunityCost"),
    ],
    "appendix": [
        (r"^(references|links|external references|related links)$", "references"),
        (r"^(metrics|graphs|dashboards|charts)$", "metrics"),
        (r"^(logs?|log excerpts|chat logs?)$", "logs"),
    ],
    "actionItems": [
        (r"^no horizon", "horizon:"),
        (r"^immediate|^this week|^now\b|^completed", "horizon:IMMEDIATE"),
        (r"^short[ -]?term|^this month|^next\b|^soon", "horizon:SHORT_TERM"),
        (r"^long[ -]?term|^this quarter|^later\b|^future", "horizon:LONG_TERM"),
        (r"^(test|testing|tests)\b", "category:TEST"),
        (r"^(monitoring|alerting|observability|detection)\b", "category:MONITORING"),
        (r"^(process|training|people|procedures?)\b", "category:PROCESS"),
        (r"^(architecture|technical|code|infrastructure|engineering)\b", "category:ARCHITECTURE"),
        (r"^(documentation|docs)\b", "category:DOCUMENTATION"),
        (r"^other\b", "category:OTHER"),
    ],
}
CONTEXT["wentWell"] = CONTEXT["review"]
CONTEXT["wentWrong"] = CONTEXT["review"]

# Where the text directly under a grouping heading goes when it has no sub-heading.
DEFAULT_PART = {
    "wentWell": "response",
    "wentWrong": "response",
    "lessonsLearned": "technical",
    "whatHappened": "whatBroke",
    "rootCauseAnalysis": "technicalCause",
    "resolution": "howFixed",
}

_EMPHASIS = re.compile(r"[*_`~]+")
# A link's label and target, neither scanning past the next bracket or parenthesis (one
# level of parentheses in the target), so no input makes the match quadratic.
LINK = r"\[([^\[\]]*+)\]\((?:[^()]++|\([^()]*+\))*+\)"
_LINK = re.compile(LINK)
_NUMBERING = re.compile(r"^(\d+(\.\d+)*[.)]?|[a-z][.)]|[ivx]+[.)])\s+")
_PUNCT = re.compile(r"[^\w\s]+")


def normalise(heading: str) -> str:
    """'**1. Root Cause(s):**' → 'root cause s'."""
    text = _LINK.sub(r"\1", heading)
    text = _EMPHASIS.sub("", text).strip().lower()
    text = _NUMBERING.sub("", text)
    text = text.replace("’", "'").replace("'", "")
    text = _PUNCT.sub(" ", text)
    return " ".join(text.split())


# A section's name is a few words; a longer heading is a sentence (or a crafted line), and
# not matched against every pattern.
MAX_NAME = 200


def _match(table, text: str) -> str | None:
    for pattern, target in table:
        if re.search(pattern, text):
            return target
    return None


def meaning(heading: str, context: str | None = None) -> str | None:
    """The target of HEADING inside the section CONTEXT (a target, or None at the top)."""
    if len(heading) > MAX_NAME:
        return None
    text = normalise(heading)
    if not text:
        return None
    if context in CONTEXT:
        found = _match(CONTEXT[context], text)
        if found is not None:
            return f"{context}.{found}" if context != "actionItems" else found
    return _match(ROOT, text)
