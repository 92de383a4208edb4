"""Sign-in throttling: after too many failures for one user name from one address, or
from one address altogether, further attempts are refused until the window has passed.

Failures are rows in the database, so every worker process sees the same count. A
successful sign-in clears the failures of its user name and address.
"""

from datetime import timedelta

from django.utils import timezone

from hindsight.lib.writers import write_transaction
from hindsight.web.models import SignInFailure

WINDOW = timedelta(minutes=15)
MAX_PER_ACCOUNT = 5  # for one user name from one address
MAX_PER_ADDRESS = 30  # for all user names from one address (guessing names)


def _key(username: str, ip: str) -> str:
    return f"{username.strip().lower()[:200]}|{ip}"


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def retry_after(username: str, ip: str) -> int:
    """Seconds until USERNAME may try again from IP; 0 when not throttled."""
    since = timezone.now() - WINDOW
    recent = SignInFailure.objects.filter(at__gte=since)
    for rows, limit in (
        (recent.filter(key=_key(username, ip)), MAX_PER_ACCOUNT),
        (recent.filter(ip=ip), MAX_PER_ADDRESS),
    ):
        times = list(rows.order_by("-at").values_list("at", flat=True)[:limit])
        if len(times) >= limit:
            # Free again when the oldest of the last LIMIT failures leaves the window.
            return max(1, int((times[-1] + WINDOW - timezone.now()).total_seconds()))
    return 0


def record_failure(username: str, ip: str) -> None:
    now = timezone.now()
    with write_transaction():
        SignInFailure.objects.create(key=_key(username, ip), ip=ip, at=now)
        SignInFailure.objects.filter(at__lt=now - WINDOW).delete()


def clear(username: str, ip: str) -> None:
    SignInFailure.objects.filter(key=_key(username, ip)).delete()
