from django.apps import AppConfig

from hindsight.accounts.signals import user_renamed
from hindsight.incidents.signals import incident_changed, register_reports


class PostmortemsConfig(AppConfig):
    name = "hindsight.postmortems"
    label = "postmortems"
    verbose_name = "Post-mortems"

    def ready(self):
        # Models (which document imports) load only once the app registry is ready.
        from hindsight.postmortems import document, services

        # A report's answer shows its incident's times (a change gives it a new version) and
        # its author's name; who wrote the reports about an incident decides who may edit it.
        incident_changed.connect(services.follow_incident, dispatch_uid="pm-incident")
        register_reports(services.reports_about_incident)
        user_renamed.connect(document.on_user_renamed, dispatch_uid="pm-user")
