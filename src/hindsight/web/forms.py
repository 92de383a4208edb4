"""Forms for the web app. They check the shape of what a person typed; the rules about
post-mortems (locks, workflow, permissions) stay in the services."""

from datetime import UTC, date, datetime

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.http import QueryDict
from django.utils.html import format_html

from hindsight.incidents.models import ImpactCategory, IncidentType, Severity
from hindsight.lib import times
from hindsight.lib.schema import is_web_address
from hindsight.postmortems import fields, limits
from hindsight.postmortems.fields import EntryField, is_enum
from hindsight.postmortems.listing import ListFilters
from hindsight.postmortems.models import ItemStatus, Priority, Status
from hindsight.postmortems.sections import Category, Horizon
from hindsight.web import throttle


def _choices(enum, blank: str | None = "—", *, raw: bool = False) -> list[tuple[str, str]]:
    options = [(m.value, m.value if raw else _label(m)) for m in enum]
    return ([("", blank)] if blank is not None else []) + options


def _label(member) -> str:
    """The label an enum declares (ItemStatus: "To do"), else its value as words."""
    words = member.value.replace("_", " ")
    declared = getattr(member, "label", None)
    return declared if declared and declared != words.title() else words.capitalize()


# Times are written in UTC, 24-hour, as text: the browser's datetime-local widget shows a
# 12-hour clock in many locales. The server reads them as the API reads timestamps.
UTC_PATTERN = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?( ?UTC|Z|[+\-]\d{2}:?\d{2})?"
UTC_HINT = "UTC, 24-hour: 2026-03-01 14:35"


def utc_text(moment: datetime) -> str:
    """A moment as the time fields show it: 2026-03-01 14:35 (UTC; seconds when set)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")


class UtcDateTimeField(forms.Field):
    """A UTC moment typed as text ("2026-03-01 14:35", "2026-03-01T14:35Z", or with an
    offset, turned into UTC), read by lib/times.parse_timestamp like the API's."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", UTC_HINT)
        super().__init__(
            widget=forms.TextInput(
                attrs={
                    "pattern": UTC_PATTERN,
                    "placeholder": "2026-03-01 14:35",
                    "autocomplete": "off",
                    "spellcheck": "false",
                    "class": "utc-time",
                }
            ),
            **kwargs,
        )

    def prepare_value(self, value):
        return utc_text(value) if isinstance(value, datetime) else value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        stamp = times.parse_timestamp(text.removesuffix("UTC").strip())
        if stamp is None:
            raise forms.ValidationError(
                "Write the time in UTC, 24-hour, as 2026-03-01 14:35.", code="invalid"
            )
        return stamp


def _utc_field(label: str) -> forms.Field:
    return UtcDateTimeField(label=f"{label} (UTC)", required=False)


def _comma_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _line_list(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class ThrottledSignIn:
    """A sign-in form that says so when the throttle (web/throttle.py) refused it."""

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            wait = getattr(self.request, "sign_in_retry_after", 0)
            if wait:
                raise forms.ValidationError(
                    throttle.throttled_message(wait), code="throttled"
                ) from None
            raise


class SignInForm(ThrottledSignIn, AuthenticationForm):
    pass


class AdminSignInForm(ThrottledSignIn, AdminAuthenticationForm):
    pass


class TokenForm(forms.Form):
    label = forms.CharField(
        max_length=100,
        required=False,
        help_text="What uses this token, e.g. “CI pipeline” or “laptop CLI”.",
    )


class IncidentForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(max_length=300)
    severity = forms.ChoiceField(choices=_choices(Severity, "Not set", raw=True), required=False)
    services = forms.CharField(
        max_length=2000, required=False, help_text="Comma-separated, e.g. checkout, postgres"
    )
    type = forms.ChoiceField(
        choices=_choices(IncidentType, None),
        initial=IncidentType.INCIDENT,
        required=False,
        help_text="A near miss: nothing broke for users, and it is still worth learning from",
    )
    impact_categories = forms.MultipleChoiceField(
        choices=_choices(ImpactCategory, None),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Impact",
    )
    started_at = _utc_field("Started")
    detected_at = _utc_field("Detected")
    acknowledged_at = _utc_field("Acknowledged")
    mitigated_at = _utc_field("Mitigated")
    resolved_at = _utc_field("Resolved")
    details = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    links = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One per line: label | https://… (ticket, pager, chat channel)",
    )

    def clean_links(self) -> list[dict]:
        links = []
        for number, line in enumerate(self.cleaned_data["links"].splitlines(), start=1):
            if not line.strip():
                continue
            label, bar, url = (part.strip() for part in line.rpartition("|"))
            if not bar or not label:
                raise forms.ValidationError(f"Line {number}: write it as label | https://…")
            if not is_web_address(url):
                raise forms.ValidationError(f"Line {number}: the address must start with https://")
            links.append({"label": label, "url": url})
        return links

    @staticmethod
    def links_text(links: list[dict]) -> str:
        return "\n".join(f"{link['label']} | {link['url']}" for link in links)

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data["severity"] = data["severity"] or None
        data["services"] = _comma_list(data["services"])
        data["type"] = data.get("type") or IncidentType.INCIDENT
        return data

    def rendered_values(self) -> list[tuple[str, str]]:
        """(html name, text) of each field exactly as this form shows it: the `was-` inputs."""
        out = []
        for name in self.fields:
            if name == "version":
                continue
            bound = self[name]
            shown = bound.field.widget.format_value(bound.value())
            for one in shown if isinstance(shown, list | tuple) else [shown]:
                out.append((bound.html_name, "" if one is None else str(one)))
        return out

    def changed_data_for_service(self) -> dict | None:
        """The fields whose submitted text differs from the text the form was rendered with
        (its `was-` inputs), as the service takes them; None when the request carries no
        `was-` inputs (then every field counts, checked against the version)."""
        names = [n for n in self.fields if n != "version"]
        if not any(WAS + self[n].html_name in self.data for n in names):
            return None
        data = self.data_for_service()
        changed = {}
        for name in names:
            key = self[name].html_name
            if isinstance(self.fields[name], forms.MultipleChoiceField):
                same = sorted(self.data.getlist(key)) == sorted(self.data.getlist(WAS + key))
            else:
                same = _same(self.data.get(key, ""), self.data.get(WAS + key, ""))
            if not same:
                changed[name] = data[name]
        return changed


class IncidentFilterForm(forms.Form):
    """The incident list's filters (web/queries.incident_list applies them)."""

    POSTMORTEM_CHOICES = [
        ("", "Any"),
        ("yes", "Has a post-mortem"),
        ("no", "Has none"),
        ("needed", "Needs a post-mortem"),
    ]

    severity = forms.ChoiceField(
        choices=_choices(Severity, "Any severity", raw=True), required=False
    )
    service = forms.CharField(
        required=False,
        max_length=100,
        help_text="A service's name, or its start, in any case (check finds Checkout)",
    )
    started_from = forms.DateField(
        required=False, label="Started from", widget=forms.DateInput(attrs={"type": "date"})
    )
    started_to = forms.DateField(
        required=False, label="Started until", widget=forms.DateInput(attrs={"type": "date"})
    )
    postmortem = forms.ChoiceField(choices=POSTMORTEM_CHOICES, required=False, label="Post-mortem")

    def clean(self):
        data = super().clean()
        start, end = data.get("started_from"), data.get("started_to")
        if start and end and end < start:
            self.add_error("started_to", "Pick a day on or after the first one.")
        return data


class NewIncidentForm(IncidentForm):
    """The incident fields offered inline on the create page (prefixed `incident`)."""

    title = forms.CharField(max_length=300, required=False, label="Incident title")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="incident", **kwargs)
        for name in ("version", "acknowledged_at", "mitigated_at", "details", "links"):
            del self.fields[name]


class PostMortemCreateForm(forms.Form):
    incident = forms.ChoiceField(
        label="Incident",
        required=False,
        help_text="The incident this post-mortem documents, or a new one described below.",
    )
    template = forms.ChoiceField(
        label="Template",
        required=False,
        help_text=(
            "Guides each section with prompts, and suggests timeline events and action items"
            " for you to confirm."
        ),
    )
    title = forms.CharField(max_length=limits.TITLE, label="Post-mortem title")

    def __init__(self, *args, incidents, templates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["incident"].choices = [("", "— A new incident (fill in below) —")] + [
            (i.id, f"{i.title} ({i.severity or 'no severity'}, {i.id})") for i in incidents
        ]
        self.fields["template"].choices = [("", "Blank report")] + [
            (t["slug"], t["name"]) for t in templates
        ]


def _report_text_field(field: fields.EntryField) -> forms.CharField:
    """The form field of one of the report's own text fields, from its declaration."""
    if field.max_length > limits.TITLE:  # prose: kept exactly as typed, Markdown allowed
        return forms.CharField(
            label=field.heading,
            widget=forms.Textarea(attrs={"rows": 5}),
            required=field.required,
            strip=False,
            max_length=field.max_length,
        )
    return forms.CharField(
        label=field.heading, required=field.required, max_length=field.max_length
    )


_ReportTextForm = type(
    "_ReportTextForm",
    (forms.Form,),
    {f.name: _report_text_field(f) for f in fields.REPORT_TEXT_FIELDS},
)


class CoreForm(_ReportTextForm):
    """The report's own text fields (declared in postmortems/fields.py), tags and
    contributors; the optional sections come from sectionform.py. `version` is the one the
    person started from (conflict detection)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    tags = forms.CharField(
        required=False, max_length=2000, help_text="Comma-separated, e.g. database, capacity"
    )
    contributors = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="User names or emails, one per line; they may see and edit the draft.",
    )

    def data_for_service(self) -> dict:
        data = self.cleaned_data
        values = {}
        for field in fields.REPORT_TEXT_FIELDS:
            text = data[field.name].replace("\r\n", "\n").strip("\n")
            # An empty impact or root cause is "not written" (left out of the export).
            nullable = not field.required and field.default is None
            values[field.name] = None if nullable and not text.strip() else text
        return {
            **values,
            "tags": _comma_list(data["tags"]),
            "contributors": _line_list(data["contributors"]),
        }

    @staticmethod
    def initial_for(postmortem) -> dict:
        return {
            "version": postmortem.version,
            **{f.name: getattr(postmortem, f.name) or "" for f in fields.REPORT_TEXT_FIELDS},
            "tags": ", ".join(postmortem.tags),
            "contributors": "\n".join(postmortem.contributors),
        }


# How the entry fields declared in postmortems/fields.py are shown; their types, limits and
# checks come from the declaration.
PRESENTATION = {
    "time": {"help_text": "UTC: 14:35 (on the incident's start date) or 2026-03-01T14:35Z"},
    "owner": {"help_text": "User name or email"},
    "due_date": {"label": "Due date"},
    "why": {"label": "Why it matters"},
    "tracker_url": {
        "label": "Tracker link",
        "help_text": "The issue carrying the work, e.g. a GitHub or Jira URL",
    },
}
MESSAGES = {
    "time": "Write a time of day (14:35) or a timestamp (2026-03-01T14:35Z).",
    "tracker_url": "Give an http:// or https:// address.",
}


def _checked(field: EntryField):
    def validate(value):
        try:
            field.check(value)
        except ValueError:
            raise forms.ValidationError(MESSAGES.get(field.name, "Not a valid value.")) from None

    return validate


def entry_form_field(field: EntryField) -> forms.Field:
    """A form field for a declared timeline or action item field."""
    shown = PRESENTATION.get(field.name, {})
    if is_enum(field):
        blank = None if field.default is not None else "—"
        return forms.ChoiceField(
            choices=_choices(field.type, blank),
            required=field.default is not None,
            initial=field.default,
            **shown,
        )
    if field.type is date:
        return forms.DateField(
            required=False, widget=forms.DateInput(attrs={"type": "date"}), **shown
        )
    long_text = (field.max_length or 0) >= limits.ENTRY_TEXT
    return forms.CharField(
        max_length=field.max_length,
        required=field.required,
        widget=forms.Textarea(attrs={"rows": 2}) if long_text else None,
        validators=[_checked(field)] if field.check else [],
        **shown,
    )


# Each edit form carries, as hidden `was-<field>` inputs, the values it was rendered with;
# only a field whose submitted value differs from its rendered one is a change, so saving one
# field never writes back a stale copy of the others (e.g. a status set meanwhile).
WAS = "was-"


def was_input(html_name: str, value) -> str:
    """The hidden input holding what field HTML_NAME showed when the form was rendered."""
    if value is None:
        value = ""
    elif isinstance(value, date):
        value = value.isoformat()
    return format_html('<input type="hidden" name="{}{}" value="{}">', WAS, html_name, value)


class EntryForm(forms.Form):
    """A form of declared entry fields; `values()` gives them as the services take them
    (an empty optional text is "not written": None), `changes()` only those the person
    changed from what the form showed."""

    declared: tuple[EntryField, ...] = ()

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            f.name: data[f.name] if (f.required or data[f.name] not in ("", None)) else None
            for f in self.declared
        }

    def changes(self) -> dict:
        """The values whose submitted text differs from the rendered one. A field the
        request does not carry at all is left alone; one sent without its rendered value
        (a client that does not send `was-` fields) counts as a change."""
        values = self.values()
        changed = {}
        for f in self.declared:
            name = self.add_prefix(f.name)
            if name not in self.data:
                continue
            if WAS + name in self.data:
                try:
                    before = self.fields[f.name].clean(self.data[WAS + name])
                except forms.ValidationError:
                    before = object()  # what was shown is no longer valid: a change
                if before in ("", None) and not f.required:
                    before = None
                if _same(before, values[f.name]):
                    continue
            changed[f.name] = values[f.name]
        return changed


def shown_entry(entry, refused: dict | None, form_class) -> dict:
    """What the edit form of ENTRY (an event or action item) shows: its own values, which
    are also what it was rendered with; or, when it is the entry REFUSED names, that
    (refused_entry)."""
    if refused and refused["id"] == entry.id:
        return refused
    values = {name: _as_typed(getattr(entry, name)) for name in form_class.base_fields}
    return {"values": values, "was": values, "errors": {}, "message": None, "focus": None}


def refused_entry(data, entry_id: str, form_class, message: str, errors: dict) -> dict:
    """A refused entry's form as it is shown again: what was typed, what the form was first
    rendered with (so the next try still writes only what the person changed), the message,
    and the focus on the first field it names."""
    names = list(form_class.base_fields)
    key = (lambda name: f"{form_class.prefix}-{name}") if form_class.prefix else str
    typed = {name: data.get(key(name), "") for name in names}
    return {
        "id": entry_id,
        "values": typed,
        "was": {name: data.get(WAS + key(name), typed[name]) for name in names},
        "errors": errors,
        "message": message,
        "focus": next((name for name in names if name in errors), names[0]),
    }


def _as_typed(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def _same(before, after) -> bool:
    if isinstance(before, str) and isinstance(after, str):
        return before.replace("\r\n", "\n") == after.replace("\r\n", "\n")
    return before == after


def _entry_form(name: str, declared, prefix: str | None, doc: str):
    attrs = {f.name: entry_form_field(f) for f in declared}
    return type(
        name, (EntryForm,), {**attrs, "declared": declared, "prefix": prefix, "__doc__": doc}
    )


# A template's suggestion is confirmed by its own button or by an edit (the services clear
# `unconfirmed` when an entry changes), never through a field of these forms.
EventForm = _entry_form(
    "EventForm",
    tuple(f for f in fields.writable(fields.EVENT_FIELDS) if f is not fields.UNCONFIRMED),
    "event",  # the page also holds action item forms: keep ids unique
    "A timeline event.",
)
# An item's follow-through link has its own form (FollowThroughForm): the edit form leaves
# it alone, so saving an edit never clears it.
ActionItemForm = _entry_form(
    "ActionItemForm",
    tuple(
        f
        for f in fields.writable(fields.ITEM_FIELDS)
        if f.name != "tracker_url" and f is not fields.UNCONFIRMED
    ),
    "item",
    "An action item as the edit page adds and changes it.",
)

# The edit page suggests owners from the users (the datalist in _action_items.html) and
# flags a past due date as it is typed (hindsight.js).
_owner = ActionItemForm.base_fields["owner"]
_owner.widget.attrs.update({"list": "owner-users", "autocomplete": "off"})
_owner.help_text = "A user's name or email (suggested as you type), or any address"
ActionItemForm.base_fields["due_date"].widget.attrs["data-flag-past"] = ""


class EventLinesForm(forms.Form):
    """Events written one per line, each starting with its time ("14:35 Traffic spike
    detected"): the time is read by lib/times.split_event_line, which accepts what the API
    accepts, and each event is checked by EventForm, from the same declarations. `events`
    holds them as the services take them; `previewed` is the text a preview was shown for."""

    prefix = "event"
    lines = forms.CharField(
        label="New events",
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "data-enter-submits": ""}),
        max_length=limits.TIMELINE_EVENTS * (limits.EVENT_TIME + 200),
        strip=False,
        help_text=(
            "One event per line, its time first, in UTC and 24-hour: “14:35 Traffic spike"
            " detected” (on the incident's start date) or “2026-03-01T14:35Z Deploy”."
            " Several lines are shown to check before they are added. Enter adds;"
            " Shift+Enter starts a new line."
        ),
    )
    kind = EventForm.base_fields["kind"]
    previewed = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)

    def clean_lines(self) -> str:
        text = self.cleaned_data["lines"].replace("\r\n", "\n")
        lines = [(n, line) for n, line in enumerate(text.split("\n"), start=1) if line.strip()]
        if not lines:
            raise forms.ValidationError("Write an event: its time, then what happened.")
        if len(lines) > limits.TIMELINE_EVENTS:
            raise forms.ValidationError(f"At most {limits.TIMELINE_EVENTS:,} events at once.")
        self.events, problems = [], []
        for number, line in lines:
            split = times.split_event_line(line)
            if split is None:
                problems.append(f"Line {number}: {MESSAGES['time']}")
                continue
            time, description = split
            if not description:
                problems.append(f"Line {number}: write what happened after the time.")
                continue
            event = EventForm(
                {"event-time": time, "event-description": description, "event-kind": ""}
            )
            if not event.is_valid():
                reasons = " ".join(e for errors in event.errors.values() for e in errors)
                problems.append(f"Line {number}: {reasons}")
                continue
            self.events.append(event.values())
        if problems:
            raise forms.ValidationError(problems)
        return text

    def clean(self):
        data = super().clean()
        for event in getattr(self, "events", []):
            event["kind"] = data.get("kind") or None
        return data

    @property
    def needs_preview(self) -> bool:
        """Several events are shown before they are added, unless that text was shown."""
        data = self.cleaned_data
        return len(self.events) > 1 and _line_list(data["previewed"]) != _line_list(data["lines"])


class ItemStatusForm(forms.Form):
    status = forms.ChoiceField(choices=_choices(ItemStatus, None))


# What the list's sort control and column headings offer: the API's sort values.
SORT_LABELS = {
    "createdAt": "Created",
    "updatedAt": "Updated",
    "title": "Title",
    "status": "Status",
    "severity": "Severity",
}


class ListFilterForm(forms.Form):
    """The post-mortem list's filters. The names are the API's query parameters
    (GET /api/postmortems), so a list's address reads the same in both, and
    postmortems.listing applies them for both."""

    q = forms.CharField(label="Search", required=False, max_length=200)
    status = forms.ChoiceField(choices=_choices(Status, "Any status"), required=False)
    severity = forms.ChoiceField(
        choices=_choices(Severity, "Any severity", raw=True), required=False
    )
    service = forms.CharField(required=False, max_length=100, help_text="Starts with, any case")
    tag = forms.CharField(required=False, max_length=100)
    createdBy = forms.CharField(  # noqa: N815
        required=False, max_length=150, label="Author", help_text="User name"
    )
    createdFrom = forms.DateField(  # noqa: N815
        required=False, label="Created from", widget=forms.DateInput(attrs={"type": "date"})
    )
    createdTo = forms.DateField(  # noqa: N815
        required=False, label="Created until", widget=forms.DateInput(attrs={"type": "date"})
    )
    type = forms.ChoiceField(choices=_choices(IncidentType, "Any type"), required=False)
    incidentFrom = forms.DateField(  # noqa: N815
        required=False, label="Incident from", widget=forms.DateInput(attrs={"type": "date"})
    )
    incidentTo = forms.DateField(  # noqa: N815
        required=False, label="Incident until", widget=forms.DateInput(attrs={"type": "date"})
    )
    factorCategory = forms.SlugField(  # noqa: N815
        required=False, max_length=50, label="Factor category", help_text="A category's slug"
    )
    sort = forms.ChoiceField(
        required=False,
        label="Sort by",
        choices=[("", "Best match, else newest")] + list(SORT_LABELS.items()),
    )
    order = forms.ChoiceField(
        required=False,
        choices=[("", "Descending (Z–A, newest)"), ("asc", "Ascending (A–Z, oldest)")],
    )

    def filters(self, *, cursor: str | None, limit: int) -> ListFilters:
        """The cleaned values as the list function reads them (call is_valid() first)."""
        data = getattr(self, "cleaned_data", {})  # a filter in error is left out
        return ListFilters(
            q=data.get("q") or None,
            status=[data["status"]] if data.get("status") else [],
            severity=[data["severity"]] if data.get("severity") else [],
            service=data.get("service") or None,
            tag=[data["tag"]] if (data.get("tag") or "").strip() else [],
            created_by=data.get("createdBy") or None,
            created_from=data.get("createdFrom"),
            created_to=data.get("createdTo"),
            type=data.get("type") or None,
            incident_from=data.get("incidentFrom"),
            incident_to=data.get("incidentTo"),
            factor_category=data.get("factorCategory") or None,
            sort=data.get("sort") or None,
            order=data.get("order") or "desc",
            cursor=cursor,
            limit=limit,
        )


# Follow-through ------------------------------------------------------------------------


class ActionItemFilterForm(forms.Form):
    """The Action Items page's filters. The names are the API's query parameters, so the
    same query string serves the page and the CSV export; actionitems.queries applies them.
    One is the page's own: `includeDone`. Without it and without a status, the page shows
    the open items (TODO and IN_PROGRESS), and the CSV link asks the API for the same."""

    owner = forms.CharField(
        required=False,
        max_length=254,
        help_text="A user's name or email finds the items owned under either",
        widget=forms.TextInput(attrs={"list": "owner-options", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(choices=_choices(ItemStatus, "Open (not done)"), required=False)
    priority = forms.ChoiceField(choices=_choices(Priority, "Any priority"), required=False)
    horizon = forms.ChoiceField(choices=_choices(Horizon, "Any horizon"), required=False)
    category = forms.ChoiceField(choices=_choices(Category, "Any category"), required=False)
    service = forms.CharField(required=False, max_length=100)
    postmortemId = forms.ChoiceField(required=False, label="Post-mortem")  # noqa: N815
    mine = forms.BooleanField(required=False, label="Only mine")
    overdue = forms.BooleanField(required=False, label="Overdue")
    dueThisWeek = forms.BooleanField(required=False, label="Due this week")  # noqa: N815
    noDueDate = forms.BooleanField(required=False, label="No due date")  # noqa: N815
    includeDone = forms.BooleanField(required=False, label="Done items too")  # noqa: N815

    CHECKBOXES = ("mine", "overdue", "dueThisWeek", "noDueDate", "includeDone")
    OPEN = (ItemStatus.TODO, ItemStatus.IN_PROGRESS)

    def __init__(self, data=None, *args, postmortems=(), **kwargs):
        """POSTMORTEMS: (id, title, status) of the reports the picker offers."""
        # Checkboxes send "true" (what the API reads); "false" means unchecked here.
        if data is not None:
            data = data.copy()
            for name in self.CHECKBOXES:
                if data.get(name, "").lower() == "false":
                    data.pop(name)
        super().__init__(data, *args, **kwargs)
        if data is not None and data.get("includeDone"):
            # With done items asked for, no status chosen means any status.
            self.fields["status"].choices = _choices(ItemStatus, "Any status")
        self.fields["postmortemId"].choices = [("", "Any post-mortem")] + [
            (pm_id, f"{title} ({status.replace('_', ' ').lower()})")
            for pm_id, title, status in postmortems
        ]

    @property
    def open_only(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not data.get("status") and not data.get("includeDone")

    def filters(self) -> dict:
        """The filters as ActionItemFilters reads them (by their query names); call
        is_valid() first: a filter in error is left out."""
        data = {k: v for k, v in self.cleaned_data.items() if v not in ("", None, False)}
        data.pop("includeDone", None)
        for name in ("status", "priority", "horizon", "category"):
            if name in data:
                data[name] = [data[name]]
        if self.open_only:
            data["status"] = list(self.OPEN)
        return data

    def api_query(self, query: QueryDict) -> QueryDict:
        """QUERY (the page's) as the API's: without the page's own parameters, and with
        the open statuses when the page shows only those."""
        api = QueryDict(mutable=True)
        for key, values in query.lists():
            if key not in ("page", "includeDone"):
                api.setlist(key, values)
        if self.open_only:
            api["status"] = ",".join(self.OPEN)
        return api


class BulkStatusForm(forms.Form):
    status = forms.ChoiceField(choices=_choices(ItemStatus, None), label="New status")


FollowThroughForm = _entry_form(
    "FollowThroughForm",
    tuple(f for f in fields.ITEM_FIELDS if f.follow_through),
    None,
    "What stays editable on a published report: the declared follow-through fields.",
)


def _readable_name(api_name: str) -> str:
    """rootCause → Root cause."""
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in api_name)
    return words[:1].upper() + words[1:]


class CommentForm(forms.Form):
    prefix = "comment"
    body = forms.CharField(
        label="Comment",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Markdown: **bold**, `code`, lists and links.",
    )
    section = forms.ChoiceField(required=False, label="About (optional)")

    def __init__(self, *args, sections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [("", "The whole report")] + [
            (name, _readable_name(name)) for name in sections
        ]


class ReviewersForm(forms.Form):
    reviewers = forms.CharField(
        max_length=2000,
        label="Ask for a review from",
        help_text="User names or emails, comma-separated",
    )

    def names(self) -> list[str]:
        return _comma_list(self.cleaned_data["reviewers"])


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("APPROVED", "Approve"), ("CHANGES_REQUESTED", "Request changes")]
    )
    comment = forms.CharField(
        max_length=20_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Note for the authors (optional)",
    )
