"""Sign-in throttling for every sign-in form (the web app's and the admin's): after too
many failures for one user name from one address, or from one address altogether,
further attempts are refused until the window has passed.

It sits in the authentication backend, so any form that calls Django's `authenticate()`
with a request is throttled alike. An attempt is taken before the password is checked,
atomically (one taker at a time), and counts as a failure until it succeeds: so of a
burst of simultaneous guesses exactly the limit reach the password check. Failures are
rows in the database, so every worker process sees the same count. A successful sign-in
clears the failures of its user name and address.

The address is the client's: behind a trusted proxy (HINDSIGHT_TRUST_PROXY) the last
address in X-Forwarded-For, the one the proxy itself saw; otherwise REMOTE_ADDR. So
failures with made-up names lock out only the address they come from.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from hindsight.lib.writers import write_transaction
from hindsight.web.models import SignInFailure

WINDOW = timedelta(minutes=15)
MAX_PER_ACCOUNT = 5  # for one user name from one address
MAX_PER_ADDRESS = 30  # for all user names from one address (guessing names)

# Serialises the takers on PostgreSQL (SQLite's writers are one at a time already).
_PG_LOCK_KEY = 0x48534931  # "HSI1"


def _key(username: str, ip: str) -> str:
    return f"{username.strip().lower()[:200]}|{ip}"


def client_ip(request) -> str:
    if settings.TRUST_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded[:64]
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


def take_attempt(username: str, ip: str) -> int:
    """Take one attempt for USERNAME from IP: 0 if it may go on (recorded as a failure
    until clear() is called), else the seconds to wait, recording nothing."""
    now = timezone.now()
    with write_transaction():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        wait = retry_after(username, ip)
        if wait:
            return wait
        SignInFailure.objects.create(key=_key(username, ip), ip=ip, at=now)
        SignInFailure.objects.filter(at__lt=now - WINDOW).delete()
    return 0


def clear(username: str, ip: str) -> None:
    with write_transaction():
        SignInFailure.objects.filter(key=_key(username, ip)).delete()


class ThrottledBackend(ModelBackend):
    """Django's user-name-and-password backend, behind the throttle. While throttled it
    does not check the password and sets `request.sign_in_retry_after` (seconds)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:  # not a sign-in form (tests' client.login)
            return super().authenticate(request, username, password, **kwargs)
        name = username or kwargs.get("username") or ""
        ip = client_ip(request)
        wait = take_attempt(name, ip)
        if wait:
            request.sign_in_retry_after = wait
            raise PermissionDenied  # stops authenticate() trying any other backend
        user = super().authenticate(request, username, password, **kwargs)
        if user is not None:
            clear(name, ip)
        return user


def throttled_message(wait: int) -> str:
    minutes = max(1, round(wait / 60))
    return f"Too many failed sign-ins. Try again in about {minutes} minute" + (
        "s." if minutes != 1 else "."
    )


def answer_429_when_throttled(view):
    """Wrap a sign-in view: a throttled attempt answers 429 with Retry-After."""

    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        wait = getattr(request, "sign_in_retry_after", 0)
        if wait:
            response.status_code = 429
            response["Retry-After"] = str(wait)
        return response

    return wrapper
