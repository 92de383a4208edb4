"""The worker's and email channel's configuration, read from the environment with the same
strictness as settings.py: a bad value stops the worker with the variable's name."""

import os
from dataclasses import dataclass, replace

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from hindsight.lib.env import env_bool, env_int, env_secret, env_str


def env_seconds(name: str, default: float, *, minimum: float = 0.0) -> float:
    """A duration in seconds; fractions allowed (tests run with a tenth of a second)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number of seconds, not {raw!r}") from None
    if not value >= minimum:  # also refuses nan
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {raw}")
    return value


@dataclass(frozen=True)
class WorkerConfig:
    timeout: float = 10.0  # one HTTP request or SMTP conversation
    lease: float = 60.0  # how long a claimed delivery stays claimed
    max_attempts: int = 12
    backoff: float = 30.0  # the first retry's delay; doubles each time, with jitter
    backoff_max: float = 6 * 3600.0
    poll: float = 1.0  # how often an idle worker looks for due deliveries
    check_interval: float = 60.0  # how often the overdue checks run

    @classmethod
    def from_env(cls) -> "WorkerConfig":
        return cls(
            timeout=env_seconds("HINDSIGHT_NOTIFY_TIMEOUT", cls.timeout, minimum=0.1),
            lease=env_seconds("HINDSIGHT_NOTIFY_LEASE", cls.lease, minimum=0.1),
            max_attempts=env_int("HINDSIGHT_NOTIFY_MAX_ATTEMPTS", cls.max_attempts, minimum=1),
            backoff=env_seconds("HINDSIGHT_NOTIFY_BACKOFF", cls.backoff),
            backoff_max=env_seconds("HINDSIGHT_NOTIFY_BACKOFF_MAX", cls.backoff_max),
            poll=env_seconds("HINDSIGHT_WORKER_POLL", cls.poll, minimum=0.01),
            check_interval=env_seconds("HINDSIGHT_CHECK_INTERVAL", cls.check_interval, minimum=0.1),
        ).checked()

    def with_(self, **changes) -> "WorkerConfig":
        return replace(self, **{k: v for k, v in changes.items() if v is not None}).checked()

    def checked(self) -> "WorkerConfig":
        if self.poll <= 0 or self.check_interval <= 0:
            raise ImproperlyConfigured("the worker's poll and check intervals must be positive")
        # A lease shorter than a send would let a second worker start the same delivery
        # while the first is still waiting for the receiver.
        if self.lease <= self.timeout:
            raise ImproperlyConfigured(
                f"HINDSIGHT_NOTIFY_LEASE ({self.lease:g} s) must be longer than"
                f" HINDSIGHT_NOTIFY_TIMEOUT ({self.timeout:g} s)"
            )
        return self


def email_settings() -> dict | None:
    """SMTP connection arguments from HINDSIGHT_EMAIL_*, or None to use Django's email
    settings (in tests, its in-memory outbox)."""
    host = env_str("HINDSIGHT_EMAIL_HOST")
    if not host:
        return None
    use_ssl = env_bool("HINDSIGHT_EMAIL_SSL", False)
    return {
        "host": host,
        "port": env_int("HINDSIGHT_EMAIL_PORT", 465 if use_ssl else 587, minimum=1),
        "username": env_str("HINDSIGHT_EMAIL_USER"),
        "password": env_secret("HINDSIGHT_EMAIL_PASSWORD"),
        "use_tls": env_bool("HINDSIGHT_EMAIL_TLS", not use_ssl),
        "use_ssl": use_ssl,
    }


def email_configured() -> bool:
    default_backend = "django.core.mail.backends.smtp.EmailBackend"
    return email_settings() is not None or settings.EMAIL_BACKEND != default_backend


def email_from() -> str:
    host = settings.BASE_URL.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]
    return env_str("HINDSIGHT_EMAIL_FROM") or f"Hindsight <hindsight@{host}>"
