from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "hindsight.reviews"
    label = "reviews"

    def ready(self) -> None:
        # Models load only once the app registry is ready.
        from hindsight.postmortems import history, workflow
        from hindsight.reviews.models import approvers
        from hindsight.reviews.services import history_entries

        # Publishing counts the approvals of the review round (postmortems.workflow).
        workflow.register_approvers(approvers)
        # A report's history lists its review decisions and comments beside its versions.
        history.register_entries(history_entries)
