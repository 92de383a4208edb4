"""What every page may offer the signed-in person, asked of the services' own permission
functions so no template re-derives a rule."""

from hindsight.incidents import services as incident_services
from hindsight.postmortems import services


def permissions(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"may_create": False, "may_create_incidents": False}
    return {
        "may_create": services.may_create_postmortem(user),
        "may_create_incidents": incident_services.may_create_incidents(user),
    }
