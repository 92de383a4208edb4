from datetime import datetime

from django.db import connections, models
from django.db.models.expressions import RawSQL

from hindsight.lib.dbtime import MonthNumber, Seconds
from hindsight.lib.ids import new_id


class Severity(models.TextChoices):
    SEV1 = "SEV1"
    SEV2 = "SEV2"
    SEV3 = "SEV3"
    SEV4 = "SEV4"


class IncidentType(models.TextChoices):
    INCIDENT = "INCIDENT"
    # Nothing broke for users: cheap, blameless learning that teams rarely record.
    NEAR_MISS = "NEAR_MISS"


class ImpactCategory(models.TextChoices):
    """The VOID incident database's impact categories."""

    FULL_OUTAGE = "FULL_OUTAGE"
    PARTIAL_OUTAGE = "PARTIAL_OUTAGE"
    DEGRADED_PERFORMANCE = "DEGRADED_PERFORMANCE"
    INCREASED_ERRORS = "INCREASED_ERRORS"
    INCREASED_LATENCY = "INCREASED_LATENCY"
    CASCADING_FAILURE = "CASCADING_FAILURE"
    NON_PRODUCTION = "NON_PRODUCTION"
    SECURITY = "SECURITY"
    DATA_LOSS = "DATA_LOSS"


def new_incident_id() -> str:
    return new_id("inc")


class IncidentQuerySet(models.QuerySet):
    def with_service(self, name: str) -> "IncidentQuerySet":
        """Incidents whose `services` list holds NAME (exactly)."""
        if connections[self.db].vendor == "postgresql":
            return self.filter(services__contains=[name])
        # SQLite's JSON1 has no containment operator; look through the array instead.
        table = self.model._meta.db_table
        return self.filter(
            pk__in=RawSQL(
                f'SELECT i.id FROM "{table}" i, json_each(i.services) s WHERE s.value = %s',
                [name],
            )
        )

    def matching_service(self, text: str) -> "IncidentQuerySet":
        """Incidents with a service whose name starts with TEXT, in any case: the rule the
        post-mortem list follows in the API and the web (`check` finds `Checkout`).
        SQLite folds the case of ASCII letters only."""
        pattern = _like_prefix(text.strip().lower())
        table = self.model._meta.db_table
        if connections[self.db].vendor == "postgresql":
            elements = "jsonb_array_elements_text(i.services) s(value)"
        else:
            elements = "json_each(i.services) s"
        return self.filter(
            pk__in=RawSQL(
                f'SELECT i.id FROM "{table}" i, {elements} '
                "WHERE lower(s.value) LIKE %s ESCAPE '\\'",
                [pattern],
            )
        )


def _like_prefix(text: str) -> str:
    """A LIKE pattern matching what starts with TEXT, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


# The stored durations (seconds from the start to each milestone).
DURATIONS = [
    "seconds_to_detect", "seconds_to_acknowledge", "seconds_to_mitigate", "seconds_to_resolve",
]  # fmt: skip


def _generated(expression) -> models.GeneratedField:
    return models.GeneratedField(
        expression=expression, output_field=models.BigIntegerField(null=True), db_persist=True
    )


class Incident(models.Model):
    # Clients may bring their own ids (their pager's or tracker's), hence a string key.
    id = models.CharField(primary_key=True, max_length=64, default=new_incident_id)
    title = models.CharField(max_length=300)
    severity = models.CharField(max_length=4, choices=Severity.choices, null=True, blank=True)
    type = models.CharField(
        max_length=10, choices=IncidentType.choices, default=IncidentType.INCIDENT
    )
    impact_categories = models.JSONField(default=list, blank=True)  # ImpactCategory values
    services = models.JSONField(default=list, blank=True)
    links = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    detected_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    details = models.TextField(blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True
    )

    # Kept by the database from the times above, for the insights: the month it started
    # (YYYYMM, UTC) and each duration in seconds, indexed so a count is an index range and
    # a median a pick at an offset along the index, not a sort of every incident.
    started_month = _generated(MonthNumber("started_at"))
    seconds_to_detect = _generated(Seconds("detected_at", "started_at"))
    seconds_to_acknowledge = _generated(Seconds("acknowledged_at", "started_at"))
    seconds_to_mitigate = _generated(Seconds("mitigated_at", "started_at"))
    seconds_to_resolve = _generated(Seconds("resolved_at", "started_at"))

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at", "id"], name="incident_created_idx"),
            # The latest change, which keys the insights kept (insights/kept.py).
            models.Index(fields=["updated_at"], name="incident_updated_idx"),
            # The insights count incidents by when they started.
            models.Index(fields=["started_at"], name="incident_started_idx"),
            models.Index(fields=["started_month", "severity", "type"], name="incident_month_idx"),
            *(
                index
                for measure in DURATIONS
                for index in (
                    models.Index(
                        fields=[measure, "started_month"], name=f"incident_{measure[11:]}_idx"
                    ),
                    models.Index(
                        fields=["started_month", measure], name=f"incident_month_{measure[11:]}_idx"
                    ),
                )
            ),
        ]

    def __str__(self):
        return f"{self.id}: {self.title}"

    def _since_start(self, moment: datetime | None) -> int | None:
        if moment is None or self.started_at is None:
            return None
        return int((moment - self.started_at).total_seconds())

    @property
    def time_to_detect(self) -> int | None:
        return self._since_start(self.detected_at)

    @property
    def time_to_acknowledge(self) -> int | None:
        return self._since_start(self.acknowledged_at)

    @property
    def time_to_mitigate(self) -> int | None:
        return self._since_start(self.mitigated_at)

    @property
    def time_to_resolve(self) -> int | None:
        return self._since_start(self.resolved_at)
