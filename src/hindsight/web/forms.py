"""Forms for the web app. They check the shape of what a person typed; the rules about
post-mortems (locks, workflow, permissions) stay in the services."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from hindsight.incidents.models import Severity
from hindsight.lib.times import is_valid_event_time
from hindsight.postmortems.models import ItemStatus, Priority, Status
from hindsight.postmortems.sections import Category, EventKind, Horizon
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


class SignInForm(AuthenticationForm):
    """Django's sign-in form, refusing to even check the password while throttled."""

    throttled_for = 0

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = throttle.client_ip(self.request)
        wait = throttle.retry_after(username, ip)
        if wait:
            self.throttled_for = wait
            minutes = max(1, round(wait / 60))
            raise forms.ValidationError(
                f"Too many failed sign-ins. Try again in about {minutes} minute"
                + ("s." if minutes != 1 else "."),
                code="throttled",
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.record_failure(username, ip)
            raise
        throttle.clear(username, ip)
        return cleaned


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
            if not url.startswith(("http://", "https://")):
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
    title = forms.CharField(max_length=300, label="Post-mortem title")

    def __init__(self, *args, incidents, templates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["incident"].choices = [("", "— A new incident (fill in below) —")] + [
            (i.id, f"{i.title} ({i.severity or 'no severity'}, {i.id})") for i in incidents
        ]
        self.fields["template"].choices = [("", "Blank report")] + [
            (t["slug"], t["name"]) for t in templates
        ]


class CoreForm(forms.Form):
    """The four core fields, tags and contributors; the optional sections come from
    sectionform.py. `version` is the one the person started from (conflict detection)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(max_length=300)
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), required=False, strip=False, max_length=200_000
    )
    impact = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), required=False, strip=False, max_length=200_000
    )
    root_cause = forms.CharField(
        label="Root cause",
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        strip=False,
        max_length=200_000,
    )
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
        text = {
            f: data[f].replace("\r\n", "\n").strip("\n")
            for f in ("summary", "impact", "root_cause")
        }
        return {
            "title": data["title"],
            "summary": text["summary"],
            # An empty impact or root cause is "not written" (left out of the export).
            "impact": text["impact"] if text["impact"].strip() else None,
            "root_cause": text["root_cause"] if text["root_cause"].strip() else None,
            "tags": _comma_list(data["tags"]),
            "contributors": _line_list(data["contributors"]),
        }

    @staticmethod
    def initial_for(postmortem) -> dict:
        return {
            "version": postmortem.version,
            "title": postmortem.title,
            "summary": postmortem.summary,
            "impact": postmortem.impact or "",
            "root_cause": postmortem.root_cause or "",
            "tags": ", ".join(postmortem.tags),
            "contributors": "\n".join(postmortem.contributors),
        }


class EventForm(forms.Form):
    prefix = "event"  # the page also holds action item forms: keep ids unique
    time = forms.CharField(
        max_length=40,
        help_text="UTC: 14:35 (on the incident's start date) or 2026-03-01T14:35Z",
    )
    kind = forms.ChoiceField(choices=_choices(EventKind), required=False)
    description = forms.CharField(max_length=20_000, widget=forms.Textarea(attrs={"rows": 2}))
    who = forms.CharField(max_length=200, required=False)
    notes = forms.CharField(
        max_length=20_000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_time(self):
        value = self.cleaned_data["time"].strip()
        if not is_valid_event_time(value):
            raise forms.ValidationError(
                "Write a time of day (14:35) or a timestamp (2026-03-01T14:35Z)."
            )
        return value

    def event(self) -> dict:
        data = self.cleaned_data
        return {
            "time": data["time"],
            "description": data["description"],
            "who": data["who"] or None,
            "notes": data["notes"] or None,
            "kind": data["kind"] or None,
        }


class ActionItemForm(forms.Form):
    prefix = "item"
    description = forms.CharField(max_length=20_000, widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.CharField(max_length=254, required=False, help_text="User name or email")
    priority = forms.ChoiceField(choices=_choices(Priority, None), initial=Priority.MEDIUM)
    status = forms.ChoiceField(choices=_choices(ItemStatus, None), initial=ItemStatus.TODO)
    due_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Due date"
    )
    horizon = forms.ChoiceField(choices=_choices(Horizon), required=False)
    category = forms.ChoiceField(choices=_choices(Category), required=False)
    why = forms.CharField(
        max_length=20_000,
        required=False,
        label="Why it matters",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def item(self) -> dict:
        data = self.cleaned_data
        return {
            "description": data["description"],
            "owner": data["owner"] or None,
            "priority": data["priority"],
            "status": data["status"],
            "due_date": data["due_date"],
            "horizon": data["horizon"] or None,
            "category": data["category"] or None,
            "why": data["why"] or None,
        }

    @staticmethod
    def initial_for(item) -> dict:
        return {f: getattr(item, f) or "" for f in ActionItemForm.base_fields}


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


class FollowThroughForm(forms.Form):
    """What stays editable on a published report: status, owner, due date, tracker link."""

    status = forms.ChoiceField(choices=_choices(ItemStatus, None))
    owner = forms.CharField(max_length=254, required=False, help_text="User name or email")
    due_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Due date"
    )
    tracker_url = forms.URLField(
        required=False,
        max_length=2000,
        label="Tracker link",
        assume_scheme="https",
        help_text="The issue carrying the work, e.g. a GitHub or Jira URL",
    )

    def clean_tracker_url(self):
        value = self.cleaned_data["tracker_url"]
        if value and not value.startswith(("http://", "https://")):
            raise forms.ValidationError("Give an http:// or https:// address.")
        return value

    def changes(self) -> dict:
        data = self.cleaned_data
        return {
            "status": data["status"],
            "owner": data["owner"] or None,
            "due_date": data["due_date"],
            "tracker_url": data["tracker_url"] or None,
        }


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
