from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "hindsight.reviews"
    label = "reviews"

    def ready(self) -> None:
        # Models load only once the app registry is ready.
        from hindsight.postmortems import workflow
        from hindsight.reviews.models import approvers

        # Publishing counts the approvals of the review round (postmortems.workflow).
        workflow.register_approvers(approvers)
