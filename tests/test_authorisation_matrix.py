"""Who may do what, over every operation in the OpenAPI schema × every role × every status of
the report: anonymous callers get 401; a draft a role may not read answers exactly as if it
did not exist, and nothing of it appears in any answer; a refused write changes nothing in
the database; an allowed one goes through.

The operations are read from /api/openapi.json, so a new endpoint is in the matrix without a
new test. Its rule comes from its shape (a GET under a report reads it, a write under one
edits it, …) or from RULES_BY_OPERATION; its body is built from its schema or taken from
BODIES. An operation none of these can place fails the test until it is placed.

Every request runs in a savepoint that is rolled back, so each one meets the same data.
"""

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from hindsight.accounts.services import create_token
from hindsight.postmortems import services
from hindsight.postmortems.export_formats import FORMATS
from hindsight.postmortems.models import PostMortem, Status
from tests.conftest import Api

# The rule of who may read and write, from the README ("Roles", "Workflow", "Follow-through").
ROLES = ("anonymous", "viewer", "member", "contributor", "author", "admin")
EDITORS = {"contributor", "author", "admin"}  # edit, submit and publish a report
WRITERS = EDITORS | {"member"}  # create reports, comment, review; viewers only read
LOCKED = {Status.PUBLISHED, Status.ARCHIVED}  # text and timeline refuse changes (409)
OK = "ok"  # the operation's documented 2xx answer


def reads(role: str, status: str) -> bool:
    """A draft is visible only to its creator, its contributors and admins; everything else
    to every signed-in user."""
    return role != "anonymous" and (status != Status.DRAFT or role in EDITORS)


def on_report(role, status, then):
    """A report the role cannot read does not exist for it (404), whatever it asks."""
    return then() if reads(role, status) else 404


# Next status for the workflow move; from PUBLISHED the subject still has open items.
NEXT = {
    Status.DRAFT: Status.IN_REVIEW,
    Status.IN_REVIEW: Status.PUBLISHED,
    Status.PUBLISHED: Status.ARCHIVED,
    Status.ARCHIVED: Status.DRAFT,
}
MOVES = {Status.DRAFT: OK, Status.IN_REVIEW: OK, Status.PUBLISHED: 409, Status.ARCHIVED: 409}

# rule name → (role, status) → the expected answer: a status code, OK, or a set of them.
RULES = {
    "public": lambda role, status: OK,
    "read": lambda role, status: on_report(role, status, lambda: OK),
    "shared": lambda role, status: OK,  # incidents, templates, lists: every signed-in user
    "create": lambda role, status: OK if role in WRITERS else 403,
    "edit": lambda role, status: on_report(
        role,
        status,
        lambda: 403 if role not in EDITORS else 409 if status in LOCKED else OK,
    ),
    "move": lambda role, status: on_report(
        role, status, lambda: 403 if role not in EDITORS else MOVES[status]
    ),
    # Only drafts can be deleted, by their creator or an admin.
    "delete": lambda role, status: on_report(
        role,
        status,
        lambda: 403 if role not in {"author", "admin"} else OK if status == Status.DRAFT else 409,
    ),
    # Status, owner, due date and tracker link stay editable once published; an archived
    # report is read-only.
    "follow_through": lambda role, status: on_report(
        role,
        status,
        lambda: 403 if role not in EDITORS else 409 if status == Status.ARCHIVED else OK,
    ),
    "comment": lambda role, status: on_report(
        role,
        status,
        lambda: 403 if role not in WRITERS else OK if status == Status.IN_REVIEW else 409,
    ),
    # Authors and contributors cannot approve their own report.
    "review": lambda role, status: on_report(
        role,
        status,
        lambda: (
            403
            if role not in WRITERS
            else 409
            if status != Status.IN_REVIEW
            else 403
            if role in {"author", "contributor"}
            else OK
        ),
    ),
    # A comment thread is resolved by the comment's author (the subject's is the member's),
    # the report's authors and admins, in any status but ARCHIVED.
    "resolve": lambda role, status: on_report(
        role,
        status,
        lambda: (
            403 if role not in EDITORS | {"member"} else 409 if status == Status.ARCHIVED else OK
        ),
    ),
    "reviewers": lambda role, status: on_report(
        role,
        status,
        lambda: 403 if role not in EDITORS else 409 if status in LOCKED else OK,
    ),
    # Admins, the incident's creator and its post-mortems' authors and contributors may edit
    # it; once a report about it is published, only that report's (README "Roles"). The
    # author created the subject's incident and is named on its report, so in every status
    # the same roles may.
    "incident_edit": lambda role, status: OK if role in EDITORS else 403,
    # The subject's author created the team template the matrix changes.
    "template_owner": lambda role, status: OK if role in {"author", "admin"} else 403,
    "admin": lambda role, status: OK if role == "admin" else 403,
}

# Rules that do not look at the report: their operations are asked while it is a draft, the
# one status in which they could reveal it.
STATUS_FREE = {"public", "shared", "create", "template_owner", "admin"}

# Operations whose rule is not the default for their shape.
RULES_BY_OPERATION = {
    "DELETE /api/postmortems/{postmortem_id}": "delete",
    "POST /api/postmortems/{postmortem_id}/comments": "comment",
    "POST /api/postmortems/{postmortem_id}/reviews": "review",
    "POST /api/postmortems/{postmortem_id}/reviewers": "reviewers",
    "PATCH /api/postmortems/{postmortem_id}/comments/{comment_id}": "resolve",
    "POST /api/action-items/bulk": "follow_through",  # its body names the items
    "POST /api/factor-categories": "admin",
}
# Notification channels and the delivery log are for admins only.
ADMIN_ONLY = ("/api/channels", "/api/deliveries")
REPORT_PARAMS = {"postmortem_id", "item_id", "comment_id"}


def rule_for(op: "Operation") -> str | None:
    """The rule an operation follows: listed, or the default for its shape."""
    if op.key in RULES_BY_OPERATION:
        return RULES_BY_OPERATION[op.key]
    if not op.security:
        return "public"
    if op.path.startswith(ADMIN_ONLY):
        return "admin"
    params = set(op.path_params)
    read = op.method == "GET"
    if params & REPORT_PARAMS:
        return "read" if read else "edit"
    if params == {"incident_id"}:
        return "shared" if read else "incident_edit"
    if params == {"slug"}:
        return "shared" if read else "template_owner"
    if params == {"category"}:  # the factor categories: admins keep them
        return "shared" if read else "admin"
    if not params:
        return "shared" if read else "create" if op.method == "POST" else None
    return None


# Bodies the schema alone cannot make sensible (each says why).
BODIES = {
    # A channel needs an address that fits its kind; the schema says only "a string".
    "POST /api/channels": lambda ctx: {
        "name": "probe channel",
        "kind": "webhook",
        "url": "http://127.0.0.1:9/hook",
    },
    # A category's slug has a pattern the generated value does not meet.
    "POST /api/factor-categories": lambda ctx: {"slug": "probe-category", "name": "Probe"},
    # The generated status may be what the items already have, which changes nothing.
    "POST /api/action-items/bulk": lambda ctx: {"ids": [ctx.item], "status": "IN_PROGRESS"},
    "PATCH /api/postmortems/{postmortem_id}/comments/{comment_id}": lambda ctx: {"resolved": True},
    # Bodies whose texts have a pattern (not blank; a slug's shape).
    "POST /api/postmortems/{postmortem_id}/comments": lambda ctx: {"body": "probe comment"},
    "POST /api/templates": lambda ctx: {"slug": "probe-template", "name": "Probe"},
}

# Further requests for an operation, beside the one built from its schema: (rule, body,
# query) each.
EXTRA = {
    "PATCH /api/postmortems/{postmortem_id}": [
        ("move", lambda ctx: {"status": NEXT[ctx.status]}, {}),
    ],
    "PATCH /api/action-items/{item_id}": [
        ("follow_through", lambda ctx: {"dueDate": "2026-04-30"}, {}),
    ],
    "GET /api/postmortems/{postmortem_id}/export": [
        ("read", None, {"format": name}) for name in FORMATS
    ],
}

# Query parameters that page rather than filter: lists are not asked with them.
PAGING = {"limit", "cursor"}

# Every text of the subject report carries this word and nothing else does, so an answer
# holding it to someone who may not read the report has leaked it.
SECRET = "xyzzy"


@dataclass
class Operation:
    method: str
    path: str
    spec: dict
    schema: dict = field(repr=False)

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def security(self):
        return self.spec.get("security", self.schema.get("security"))

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    @property
    def success(self) -> int:
        return min(int(code) for code in self.spec["responses"] if code.startswith("2"))


def operations(schema: dict) -> list[Operation]:
    return [
        Operation(method.upper(), path, spec, schema)
        for path, item in schema["paths"].items()
        for method, spec in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


class CannotBuild(Exception):
    pass


@dataclass
class Context:
    """The records the requests name, for one status of the subject report."""

    status: str
    schema: dict
    postmortem: str
    item: str
    incident: str
    channel: str
    delivery: str
    template: str
    comment: str = ""

    def path_value(self, name: str) -> str:
        values = {
            "postmortem_id": self.postmortem,
            "item_id": self.item,
            "incident_id": self.incident,
            "channel_id": self.channel,
            "delivery_id": self.delivery,
            "slug": self.template,
            "comment_id": self.comment,
            "category": "capacity-load",
        }
        if name not in values:
            raise CannotBuild(f"no value for path parameter {name}")
        return values[name]

    def named_value(self, name: str):
        """Values for body properties and query parameters that must name real records."""
        return {
            "incidentId": self.incident,
            "postmortemId": self.postmortem,
            "ids": [self.item],
            "reviewers": ["dave"],
            "createdBy": "alice",
            "owner": "ops@example.com",
            "q": SECRET + "title",
            "tag": [SECRET + "tag"],
            "service": "probe-service",
            "channelId": self.channel,
            "event": "ping",
            "factorCategory": "capacity-load",
        }.get(name)

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            schema = self.schema["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        for key in ("anyOf", "oneOf", "allOf"):
            if key in schema:
                branches = [self.resolve(s) for s in schema[key] if s.get("type") != "null"]
                return {**{k: v for k, v in schema.items() if k != key}, **branches[0]}
        return schema

    def example(self, schema: dict, name: str = "body"):
        """A valid value for SCHEMA; NAME picks a real record where one must be named."""
        named = self.named_value(name)
        if named is not None:
            return named
        schema = self.resolve(schema)
        if "enum" in schema:
            return schema["enum"][0]
        if schema.get("default") is not None:
            return schema["default"]
        kind = schema.get("type")
        if kind == "string":
            formats = {
                "date-time": "2026-03-01T15:00:00Z",
                "date": "2026-04-01",
                "uri": "https://example.com/probe",
                "email": "probe@example.com",
            }
            if schema.get("format") in formats:
                return formats[schema["format"]]
            if "pattern" in schema:
                raise CannotBuild(f"{name} must match {schema['pattern']}: add it to BODIES")
            text = "probe-value"
            return text.ljust(schema.get("minLength", 0), "x")[: schema.get("maxLength")]
        if kind in ("integer", "number"):
            return max(schema.get("minimum", 1), 1)
        if kind == "boolean":
            return True
        if kind == "array":
            return [self.example(schema.get("items", {}), name)]
        if kind == "object":
            props = schema.get("properties", {})
            return {key: self.example(props[key], key) for key in schema.get("required", [])}
        raise CannotBuild(f"cannot make a value for {name}: {schema}")

    def body(self, op: Operation):
        """(content type, body) for OP's request body, built from its schema: the required
        properties, or for a change with none required its first plain text field."""
        if op.key in BODIES:
            return "application/json", BODIES[op.key](self)
        content = op.spec.get("requestBody", {}).get("content")
        if not content:
            return None, None
        content_type, media = next(iter(content.items()))
        schema = self.resolve(media.get("schema", {}))
        if content_type.startswith("text/"):  # a document: its schema says only "some text"
            return content_type, "# probe-value\n\nImported by the matrix.\n"
        value = self.example(schema)
        if value == {} and op.method == "PATCH":
            for key, prop in schema.get("properties", {}).items():
                prop = self.resolve(prop)
                plain = prop.get("type") == "string" and not {"enum", "format"} & set(prop)
                if plain and key != "id":  # a PATCH never changes an id
                    return content_type, {key: self.example(prop, key)}
            raise CannotBuild("no plain text field to change: add it to BODIES")
        return content_type, value

    def query(self, op: Operation, only_required: bool = True) -> dict:
        params = {}
        for param in op.spec.get("parameters", []):
            if param["in"] == "query" and (param.get("required") or not only_required):
                params[param["name"]] = self.example(param.get("schema", {}), param["name"])
        return params


@dataclass
class Probe:
    op: Operation
    rule: str
    path: str
    query: dict
    content_type: str | None
    body: Any

    def describe(self) -> str:
        extra = f" ?{self.query}" if self.query else ""
        sent = f" {json.dumps(self.body)[:80]}" if self.body is not None else ""
        return f"{self.op.key}{extra}{sent} [{self.rule}]"


def probes(ctx: Context, ops: list[Operation], problems: list[str]) -> list[Probe]:
    """Every request the matrix sends for CTX's status; what cannot be built goes to
    PROBLEMS, so nothing is left out silently."""
    found = []
    for op in ops:
        rule = rule_for(op)
        if rule is None:
            problems.append(f"{op.key}: no rule; add it to RULES_BY_OPERATION")
            continue
        if rule in STATUS_FREE and ctx.status != Status.DRAFT:
            continue  # answers alike whatever the report's status: asked once, beside a draft
        try:
            path = op.path
            for name in op.path_params:
                path = path.replace("{" + name + "}", ctx.path_value(name))
            content_type, body = ctx.body(op)
            query = ctx.query(op)
        except CannotBuild as exc:
            problems.append(f"{op.key}: {exc}")
            continue
        found.append(Probe(op, rule, path, query, content_type, body))
        for extra_rule, make_body, extra_query in EXTRA.get(op.key, []):
            extra_body = make_body(ctx) if make_body else body
            found.append(
                Probe(op, extra_rule, path, {**query, **extra_query}, content_type, extra_body)
            )
        # A list asked with each filter, while there is a draft a filter could reveal.
        if op.method == "GET" and not op.path_params and ctx.status == Status.DRAFT:
            for name, value in ctx.query(op, only_required=False).items():
                if name not in PAGING and name not in query:
                    found.append(Probe(op, rule, path, {**query, name: value}, None, None))
    return found


# The database, as rows --------------------------------------------------------------------

# Bookkeeping a read may write: a token's last use, the Markdown export stored for reuse.
VOLATILE = {"accounts_apitoken": {"last_used_at"}, "postmortems_postmortem": {"markdown"}}


def fingerprint() -> dict[str, list]:
    """Every row of every table, to tell whether a request changed anything."""
    state = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            columns = [c[0] for c in cursor.description]
            skip = VOLATILE.get(table, set())
            keep = [i for i, name in enumerate(columns) if name not in skip]
            state[table] = sorted(repr([row[i] for i in keep]) for row in cursor.fetchall())
    return state


def changed_tables(before: dict, after: dict) -> list[str]:
    return [table for table in after if before.get(table) != after[table]]


# Sending ---------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    text: str
    headers: str
    changed: list[str]

    def error(self) -> str | None:
        try:
            return json.loads(self.text).get("error")
        except (ValueError, AttributeError):
            return None


def send(api: Api, probe: Probe, baseline: dict) -> Answer:
    """PROBE sent by API, in a savepoint rolled back afterwards; what changed is read first."""
    with transaction.atomic():
        if probe.op.method == "GET":
            response = api.get(probe.path, params=probe.query)
        else:
            path = probe.path
            if probe.query:
                path += "?" + "&".join(f"{k}={v}" for k, v in probe.query.items())
            raw = None
            if probe.body is not None:
                raw = probe.body if isinstance(probe.body, str) else json.dumps(probe.body)
            method = getattr(api.client, probe.op.method.lower())
            response = method(
                path,
                data=raw or "",
                content_type=probe.content_type or "application/json",
                **api.headers,
            )
        content = b"".join(response.streaming_content) if response.streaming else response.content
        changed = changed_tables(baseline, fingerprint())
        transaction.set_rollback(True)
    headers = "\n".join(f"{k}: {v}" for k, v in response.items())
    return Answer(response.status_code, content.decode("utf-8", "replace"), headers, changed)


# The subject -----------------------------------------------------------------------------


@pytest.fixture
def people(make_user):
    """The personas, by the part they play in the subject report."""
    return {
        "author": make_user("alice"),
        "contributor": make_user("bob"),
        "viewer": make_user("carol", role="viewer"),
        "member": make_user("dave"),
        "admin": make_user("root", role="admin"),
    }


def make_subject(client_for, status: str) -> dict:
    """Alice's report in STATUS, bob contributing; every text of it holds SECRET."""
    alice, admin = client_for("author"), client_for("admin")
    incident = alice.post(
        "/api/incidents",
        {
            "title": "Matrix incident",
            "services": ["probe-service"],
            "startedAt": "2026-03-01T14:30:00Z",
            "resolvedAt": "2026-03-01T15:30:00Z",
        },
    ).json()
    body = {
        "incidentId": incident["id"],
        "title": f"The {SECRET}title outage",
        "summary": f"{SECRET}summary text",
        "impact": f"{SECRET}impact text",
        "rootCause": f"{SECRET}rootcause text",
        "lessonsLearned": {"technical": f"{SECRET}lesson"},
        "timeline": [{"time": "14:35", "description": f"{SECRET}event", "notes": f"{SECRET}notes"}],
        "actionItems": [
            {"description": f"{SECRET}item one", "owner": "ops@example.com"},
            {"description": f"{SECRET}item two", "owner": "ops@example.com"},
        ],
        "contributors": ["bob"],
        "tags": [f"{SECRET}tag"],
    }
    response = alice.post("/api/postmortems", body)
    assert response.status_code == 201, response.content
    pm = response.json()
    url = f"/api/postmortems/{pm['id']}"
    steps = {
        Status.DRAFT: [],
        Status.IN_REVIEW: [Status.IN_REVIEW],
        Status.PUBLISHED: [Status.IN_REVIEW, Status.PUBLISHED],
        Status.ARCHIVED: [Status.IN_REVIEW, Status.PUBLISHED, "done", Status.ARCHIVED],
    }[status]
    for step in steps:
        if step == "done":
            items = [{"id": i["id"], "status": "DONE"} for i in pm["actionItems"]]
            change = {"actionItems": items}
        else:
            change = {"status": step}
        response = alice.patch(url, change)
        assert response.status_code == 200, response.content
        pm = response.json()
    channel = admin.post("/api/channels", BODIES["POST /api/channels"](None)).json()
    delivery = admin.post(f"/api/channels/{channel['id']}/test").json()
    template = alice.post("/api/templates", {"slug": "alices-template", "name": "Alice's"}).json()
    # A comment from the review round every status but a draft has been through (a draft
    # may have one too, from before it went back): written as the data it is.
    from hindsight.accounts.models import User
    from hindsight.reviews.models import Comment

    comment = Comment.objects.create(
        postmortem_id=pm["id"],
        author=User.objects.get(username="dave"),
        body=f"{SECRET}comment",
        version=pm["version"],
    )
    return {
        "comment": str(comment.pk),
        "postmortem": pm["id"],
        "item": pm["actionItems"][0]["id"],
        "incident": incident["id"],
        "channel": channel["id"],
        "delivery": delivery["id"],
        "template": template["slug"],
    }


def expected_codes(rule: str, role: str, status: str, op: Operation) -> set[int]:
    if role == "anonymous" and op.security:
        return {401}
    expected = RULES[rule](role, status)
    expected = expected if isinstance(expected, set) else {expected}
    return {op.success if code == OK else code for code in expected}


@pytest.mark.parametrize("status", list(Status))
def test_every_operation_answers_every_role_by_the_rules(people, status):
    tokens = {role: create_token(user)[1] for role, user in people.items()}

    def client_for(role: str) -> Api:
        return Api(Client(), tokens.get(role))

    schema = client_for("anonymous").get("/api/openapi.json").json()
    ops = operations(schema)
    ids = make_subject(client_for, status)
    ctx = Context(status=status, schema=schema, **ids)
    problems: list[str] = []
    requests = probes(ctx, ops, problems)
    baseline = fingerprint()
    clients = {role: client_for(role) for role in ROLES}

    answers: dict[tuple[str, int], Answer] = {}
    for index, probe in enumerate(requests):
        for role in ROLES:
            answer = send(clients[role], probe, baseline)
            answers[role, index] = answer
            expected = expected_codes(probe.rule, role, status, probe.op)
            where = f"{probe.describe()} as {role} on {status}"
            if answer.status not in expected:
                problems.append(
                    f"{where}: expected {sorted(expected)}, got {answer.status} {answer.text[:200]}"
                )
            if answer.status >= 300 or probe.op.method == "GET":
                if answer.changed:
                    problems.append(
                        f"{where}: answered {answer.status} but changed {answer.changed}"
                    )
            elif not answer.changed:
                problems.append(f"{where}: answered {answer.status} but changed nothing")
            if not reads(role, status) and SECRET in answer.text + answer.headers:
                problems.append(f"{where}: leaked the draft: {leak(answer)}")

    if status == Status.DRAFT:
        problems += compare_with_absent(ctx, requests, clients, answers)

    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def leak(answer: Answer) -> str:
    text = answer.text + "\n" + answer.headers
    at = text.index(SECRET)
    return text[max(0, at - 80) : at + 80]


def compare_with_absent(ctx: Context, requests, clients, answers) -> list[str]:
    """Whoever may not read the draft gets the same answers with the draft deleted: the
    same status, and (but for what a successful create makes afresh) the same body."""
    problems = []
    with transaction.atomic():
        author = PostMortem.objects.get(pk=ctx.postmortem).created_by
        services.delete_postmortem(ctx.postmortem, by=author)
        baseline = fingerprint()
        for index, probe in enumerate(requests):
            for role in ROLES:
                if reads(role, ctx.status):
                    continue
                absent = send(clients[role], probe, baseline)
                hidden = answers[role, index]
                fresh = probe.op.method != "GET" and hidden.status < 300
                if hidden.status != absent.status or (not fresh and hidden.text != absent.text):
                    problems.append(
                        f"{probe.describe()} as {role}: the hidden draft answers"
                        f" {hidden.status} {hidden.text[:160]} but an absent one"
                        f" {absent.status} {absent.text[:160]}"
                    )
        transaction.set_rollback(True)
    return problems


def test_an_operation_no_rule_places_fails_the_matrix():
    schema = {"paths": {"/api/widgets/{widget_id}": {"get": {"responses": {"200": {}}}}}}
    schema["security"] = [{"BearerToken": []}]
    ctx = Context(Status.DRAFT, schema, "pm", "act", "inc", "ch", "del", "slug")
    problems: list[str] = []
    assert probes(ctx, operations(schema), problems) == []
    assert problems == ["GET /api/widgets/{widget_id}: no rule; add it to RULES_BY_OPERATION"]
