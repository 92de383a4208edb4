"""The one write path for incidents."""

import re
from datetime import UTC

from django.db import IntegrityError

from hindsight.incidents.models import Incident, IncidentType
from hindsight.incidents.signals import incident_changed, reports_about
from hindsight.lib.errors import Conflict, Invalid, NotFound, PermissionDenied, StaleVersion
from hindsight.lib.http import IfMatch, precondition_holds
from hindsight.lib.writers import write_transaction

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
TIME_FIELDS = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")
FIELDS = (
    "title",
    "severity",
    "type",
    "impact_categories",
    "services",
    "links",
    "details",
    *TIME_FIELDS,
)
API_NAMES = {
    "started_at": "startedAt",
    "detected_at": "detectedAt",
    "acknowledged_at": "acknowledgedAt",
    "mitigated_at": "mitigatedAt",
    "resolved_at": "resolvedAt",
}


def may_create_incidents(user) -> bool:
    return user.can_write


def edit_refusal(incident: Incident, user) -> str | None:
    """Why USER may not change INCIDENT, or None if they may: the one rule the API and the
    web ask (README "Roles").

    Admins may. Viewers may not. A member may if they created the incident or created or
    contribute to one of the post-mortems about it; but once a post-mortem about it is
    published or archived, only that report's authors and contributors (and admins) may,
    since the change rewrites the report's times. A draft the user cannot see is never
    named in the answer.
    """
    if user.is_admin:
        return None
    if not user.can_write:
        return "Viewers cannot change incidents."
    reports = reports_about(incident, user)
    for report in reports:
        if report.locked and not report.named:
            return (
                f"The {report.label} about this incident is {report.status.lower()}:"
                " only admins and that report's author and contributors can change the"
                " incident, as the change rewrites the report's times."
            )
    if incident.created_by_id == user.pk or any(report.named for report in reports):
        return None
    return (
        "Only admins, the incident's creator and the authors and contributors of its"
        " post-mortems can change this incident."
    )


def may_edit_incident(incident: Incident, user) -> bool:
    return edit_refusal(incident, user) is None


def get_incident(incident_id: str) -> Incident:
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        raise NotFound(f"There is no incident {incident_id}.", fields={"id": incident_id})
    return incident


def _check_times(values: dict) -> None:
    started = values.get("started_at")
    if started is None:
        return
    for field in TIME_FIELDS[1:]:
        moment = values.get(field)
        if moment is not None and moment < started:
            name = API_NAMES[field]
            raise Invalid(
                f"{name} ({moment.isoformat()}) is before startedAt ({started.isoformat()}).",
                fields={name: "before startedAt"},
            )


def _in_utc(data: dict) -> dict:
    """DATA with its times in UTC, as stored, so a write answers with what GET will return;
    impact categories once each, in the order given."""
    data = {
        key: value.astimezone(UTC) if key in TIME_FIELDS and value is not None else value
        for key, value in data.items()
    }
    if "impact_categories" in data:  # null clears them
        data["impact_categories"] = list(dict.fromkeys(map(str, data["impact_categories"] or [])))
    if "type" in data:  # null is the default
        data["type"] = str(data["type"] or IncidentType.INCIDENT)
    return data


def create_incident(data: dict, *, by) -> Incident:
    if not may_create_incidents(by):
        raise PermissionDenied("Viewers cannot create incidents.")
    data = _in_utc(data)
    incident_id = data.get("id")
    if incident_id is not None and not ID_PATTERN.match(incident_id):
        raise Invalid(
            "id: use 1–64 letters, digits and _ . : - (starting with a letter or digit).",
            fields={"id": "invalid id"},
        )
    values = {f: data[f] for f in FIELDS if data.get(f) is not None}
    _check_times(values)
    try:
        with write_transaction():
            if incident_id and Incident.objects.filter(pk=incident_id).exists():
                raise IntegrityError
            kwargs = {"id": incident_id} if incident_id else {}
            return Incident.objects.create(created_by=by, **kwargs, **values)
    except IntegrityError:
        raise Conflict(
            f"An incident {incident_id} already exists.", fields={"id": incident_id}
        ) from None


def update_incident(
    incident_id: str, data: dict, *, by, if_match: IfMatch | int | None = None
) -> Incident:
    """Change INCIDENT_ID's fields in DATA, if BY may (edit_refusal). The post-mortems about
    it follow in the same transaction (incident_changed: a report whose answer the change
    alters gets a new version and a history entry)."""
    if not may_create_incidents(by):
        raise PermissionDenied("Viewers cannot change incidents.")
    data = _in_utc(data)
    with write_transaction():
        incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
        if incident is None:
            raise NotFound(f"There is no incident {incident_id}.", fields={"id": incident_id})
        refusal = edit_refusal(incident, by)
        if refusal is not None:
            raise PermissionDenied(refusal)
        if not precondition_holds(if_match, incident.version):
            raise StaleVersion(
                f"The incident is at version {incident.version}, not {if_match}."
                " Reload it and apply your change again.",
                fields={"If-Match": f"not the current version: {if_match}"},
                currentVersion=incident.version,
            )
        if "title" in data and not data["title"]:
            raise Invalid("title cannot be empty.", fields={"title": "required"})
        changed = [f for f in FIELDS if f in data and data[f] != getattr(incident, f)]
        before = {field: getattr(incident, field) for field in changed}
        for field in changed:
            value = data[field]
            if field in ("services", "links") and value is None:
                value = []
            if field == "details" and value is None:
                value = ""
            setattr(incident, field, value)
        _check_times({f: getattr(incident, f) for f in TIME_FIELDS})
        if changed:
            incident.version += 1
            incident.save()
            incident_changed.send(sender=Incident, incident=incident, before=before, by=by)
        return incident
