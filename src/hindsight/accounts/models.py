import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


class User(AbstractUser):
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)

    class Meta(AbstractUser.Meta):
        # Contributors, owners and reviewers name users in any case: each write that names
        # some looks them up by these (accounts.services.users_named).
        indexes = [
            models.Index(Lower("username"), name="user_username_lower_idx"),
            models.Index(Lower("email"), name="user_email_lower_idx"),
        ]

    def save(self, *args, **kwargs):
        # The role is the source of truth; Django's admin reads is_staff/is_superuser.
        if self.is_superuser and self.role != Role.ADMIN and not self.pk:
            self.role = Role.ADMIN
        self.is_staff = self.is_superuser = self.role == Role.ADMIN
        super().save(*args, **kwargs)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_write(self) -> bool:
        return self.role in (Role.ADMIN, Role.MEMBER)

    @property
    def identities(self) -> list[str]:
        """The strings that name this user in contributor and owner lists (lower-cased)."""
        names = [self.username.lower()]
        if self.email:
            names.append(self.email.lower())
        return names


TOKEN_PREFIX = "hs_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 digest is kept: the token itself is shown once.

    Tokens carry 256 bits of randomness, so a fast unsalted digest is safe to store
    and cheap to check on every request (a password hasher would cost ~100 ms per call).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")
    label = models.CharField(max_length=100, blank=True)
    digest = models.CharField(max_length=64, unique=True)
    hint = models.CharField(
        max_length=12, help_text="The token's first characters, to tell it apart."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.hint}… ({self.label or 'no label'})"

    @staticmethod
    def generate() -> str:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)
