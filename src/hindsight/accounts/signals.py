"""What accounts tell the apps above them, without importing them: those connect in their
AppConfig.ready (post-mortems re-render the reports that show a renamed user)."""

from django.dispatch import Signal

# Sent inside the writing transaction with user=<the saved User>.
user_renamed = Signal()
