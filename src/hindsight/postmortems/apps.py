from django.apps import AppConfig

from hindsight.accounts.signals import user_renamed
from hindsight.incidents.signals import incident_changed


class PostmortemsConfig(AppConfig):
    name = "hindsight.postmortems"
    label = "postmortems"
    verbose_name = "Post-mortems"

    def ready(self):
        # Models (which document imports) load only once the app registry is ready.
        from hindsight.postmortems import document

        # Stored documents show the incident's times and the author's name.
        incident_changed.connect(document.on_incident_changed, dispatch_uid="pm-incident")
        user_renamed.connect(document.on_user_renamed, dispatch_uid="pm-user")
