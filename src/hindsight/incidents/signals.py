"""What incidents tell, and ask of, the apps above them without importing them: those
connect in their AppConfig.ready (post-mortems follow a changed incident, and say who wrote
the reports about one)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.dispatch import Signal

# Sent inside the writing transaction with incident=<the saved Incident>,
# before={field: old value} for each field the change altered (Python names), and by=<User>.
incident_changed = Signal()


@dataclass(frozen=True)
class Report:
    """A record written about an incident, as the incident's edit rule needs it."""

    label: str  # how a refusal names it: "post-mortem pm_…"
    status: str  # its workflow status
    locked: bool  # published or archived: a change of its incident rewrites a record
    named: bool  # the asking user created it or contributes to it


# (incident, user) -> the records about the incident, each as a Report.
ReportsFinder = Callable[[object, object], Iterable[Report]]
_finders: list[ReportsFinder] = []


def register_reports(finder: ReportsFinder) -> None:
    """Add FINDER to those `reports_about` asks; registering it again is a no-op, so an
    app's `ready()` may run more than once."""
    if finder not in _finders:
        _finders.append(finder)


def reports_about(incident, user) -> list[Report]:
    return [report for finder in _finders for report in finder(incident, user)]
