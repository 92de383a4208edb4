from django.db import models


class SignInFailure(models.Model):
    """One failed sign-in, kept for the throttle window (see throttle.py).

    In the database rather than a per-process cache, so the limit holds across all of
    the server's worker processes and across restarts.
    """

    key = models.CharField(max_length=300)
    ip = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["key", "at"], name="signin_failure_key_idx"),
            models.Index(fields=["ip", "at"], name="signin_failure_ip_idx"),
        ]
