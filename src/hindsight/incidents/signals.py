"""What incidents tell the apps above them, without importing them: those connect in their
AppConfig.ready (post-mortems re-render the reports of a changed incident)."""

from django.dispatch import Signal

# Sent inside the writing transaction with incident=<the saved Incident>.
incident_changed = Signal()
