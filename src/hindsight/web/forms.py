"""Forms for the web app. They check the shape of what a person typed; the rules about
post-mortems (locks, workflow, permissions) stay in the services."""

from datetime import date

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.html import format_html

from hindsight.incidents.models import Severity
from hindsight.lib.schema import is_web_address
from hindsight.postmortems import fields, limits
from hindsight.postmortems.fields import EntryField, is_enum
from hindsight.postmortems.models import ItemStatus, Priority, Status
from hindsight.postmortems.sections import Category, Horizon
from hindsight.web import throttle


def _choices(enum, blank: str | None = "—", *, raw: bool = False) -> list[tuple[str, str]]:
    options = [(m.value, m.value if raw else m.value.replace("_", " ").capitalize()) for m in enum]
    return ([("", blank)] if blank is not None else []) + options


class UtcDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def _utc_field(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=f"{label} (UTC)", required=False, widget=UtcDateTimeInput()
    )  # TIME_ZONE is UTC, so a time without a zone is read as UTC


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
        help_text="Pre-fills sections, timeline events and action items.",
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
    {f.name: _report_text_field(f) for f in fields.REPORT_FIELDS},
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
        for field in fields.REPORT_FIELDS:
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
            **{f.name: getattr(postmortem, f.name) or "" for f in fields.REPORT_FIELDS},
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


def _same(before, after) -> bool:
    if isinstance(before, str) and isinstance(after, str):
        return before.replace("\r\n", "\n") == after.replace("\r\n", "\n")
    return before == after


def _entry_form(name: str, declared, prefix: str | None, doc: str):
    attrs = {f.name: entry_form_field(f) for f in declared}
    return type(
        name, (EntryForm,), {**attrs, "declared": declared, "prefix": prefix, "__doc__": doc}
    )


EventForm = _entry_form(
    "EventForm",
    fields.writable(fields.EVENT_FIELDS),
    "event",  # the page also holds action item forms: keep ids unique
    "A timeline event.",
)
# An item's follow-through link has its own form (FollowThroughForm): the edit form leaves
# it alone, so saving an edit never clears it.
ActionItemForm = _entry_form(
    "ActionItemForm",
    tuple(f for f in fields.writable(fields.ITEM_FIELDS) if f.name != "tracker_url"),
    "item",
    "An action item as the edit page adds and changes it.",
)


class ItemStatusForm(forms.Form):
    status = forms.ChoiceField(choices=_choices(ItemStatus, None))


SORTS = {
    "newest": ("Newest first", ["-created_at", "-id"]),
    "oldest": ("Oldest first", ["created_at", "id"]),
    "updated": ("Recently updated", ["-updated_at", "-id"]),
    "title": ("Title A–Z", ["title", "id"]),
}


class ListFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    status = forms.ChoiceField(choices=_choices(Status, "Any status"), required=False)
    severity = forms.ChoiceField(
        choices=_choices(Severity, "Any severity", raw=True), required=False
    )
    service = forms.CharField(required=False, max_length=100)
    tag = forms.CharField(required=False, max_length=100)
    author = forms.CharField(required=False, max_length=150, help_text="User name")
    created_from = forms.DateField(
        required=False, label="Created from", widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        required=False, label="Created until", widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[("", "Best match / newest")] + [(k, v[0]) for k, v in SORTS.items()],
    )


# Follow-through ------------------------------------------------------------------------


class ActionItemFilterForm(forms.Form):
    """The Action Items page's filters. The names are the API's query parameters, so the
    same query string serves the page and the CSV export; actionitems.queries applies them."""

    owner = forms.CharField(required=False, max_length=254, help_text="User name or email")
    status = forms.ChoiceField(choices=_choices(ItemStatus, "Any status"), required=False)
    priority = forms.ChoiceField(choices=_choices(Priority, "Any priority"), required=False)
    horizon = forms.ChoiceField(choices=_choices(Horizon, "Any horizon"), required=False)
    category = forms.ChoiceField(choices=_choices(Category, "Any category"), required=False)
    service = forms.CharField(required=False, max_length=100)
    postmortemId = forms.CharField(required=False, max_length=32, label="Post-mortem id")  # noqa: N815
    mine = forms.BooleanField(required=False, label="Only mine")
    overdue = forms.BooleanField(required=False, label="Overdue")
    dueThisWeek = forms.BooleanField(required=False, label="Due this week")  # noqa: N815
    noDueDate = forms.BooleanField(required=False, label="No due date")  # noqa: N815

    def __init__(self, data=None, *args, **kwargs):
        # Checkboxes send "true" (what the API reads); "false" means unchecked here.
        if data is not None:
            data = data.copy()
            for name in ("mine", "overdue", "dueThisWeek", "noDueDate"):
                if data.get(name, "").lower() == "false":
                    data.pop(name)
        super().__init__(data, *args, **kwargs)
        for name in ("mine", "overdue", "dueThisWeek", "noDueDate"):
            self.fields[name].widget.attrs["value"] = "true"

    def filters(self) -> dict:
        """The filters as ActionItemFilters reads them (by their query names)."""
        data = {k: v for k, v in self.cleaned_data.items() if v not in ("", None, False)}
        for name in ("status", "priority", "horizon", "category"):
            if name in data:
                data[name] = [data[name]]
        return data


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
        label="Comment", max_length=20_000, widget=forms.Textarea(attrs={"rows": 3})
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
