"""Users and API tokens: the functions the CLI, the admin and the settings page call."""

from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from hindsight.accounts.models import ApiToken, Role, User, token_digest
from hindsight.lib.compiled import CompiledQuery
from hindsight.lib.errors import Conflict, Invalid, NotFound
from hindsight.lib.writers import write_if_free, write_transaction

# Writing last_used_at on every call would turn every read into a write (and on SQLite
# serialise all requests); a minute's precision is enough to spot unused tokens.
LAST_USED_PRECISION = timedelta(minutes=1)


def create_user(username: str, *, password: str, email: str = "", role: str = Role.MEMBER) -> User:
    if role not in Role.values:
        raise Invalid(
            f"Unknown role {role!r}; use one of {', '.join(Role.values)}.", fields={"role": role}
        )
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(f"A user named {username} already exists.", fields={"username": username})
    if email and User.objects.filter(email__iexact=email).exists():
        raise Conflict(f"A user with email {email} already exists.", fields={"email": email})
    user = User(username=username, email=email, role=role)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise Invalid(
            "Password rejected: " + " ".join(exc.messages), fields={"password": "too weak"}
        ) from None
    user.set_password(password)
    user.save()
    return user


def get_user(name: str) -> User:
    user = User.objects.filter(username__iexact=name).first()
    if user is None:
        raise NotFound(f"There is no user named {name}.", fields={"username": name})
    return user


def create_token(user: User, *, label: str = "") -> tuple[ApiToken, str]:
    """Return the stored token row and the token itself, which is never stored or shown again."""
    secret = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user, label=label, digest=token_digest(secret), hint=secret[:7]
    )
    return token, secret


def revoke_token(token_id: int, *, user: User | None = None) -> ApiToken:
    """Revoke a token (kept for the record); USER, when given, must own it."""
    with write_transaction():
        query = ApiToken.objects.filter(pk=token_id, revoked_at__isnull=True)
        if user is not None:
            query = query.filter(user=user)
        token = query.first()
        if token is None:
            raise NotFound(f"There is no active token {token_id}.", fields={"id": str(token_id)})
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        return token


_USER_FIELDS = tuple(f.attname for f in User._meta.concrete_fields)
# Every API call checks a token: the lookup is compiled once (see lib/compiled.py).
_BY_DIGEST = CompiledQuery(
    lambda shape, digest: User.objects.filter(
        tokens__digest=digest, tokens__revoked_at__isnull=True, is_active=True
    ).values_list(*_USER_FIELDS, "tokens__id", "tokens__last_used_at")
)


def user_for_token(secret: str) -> User | None:
    """The active user a bearer token belongs to, or None. One indexed lookup."""
    row = _BY_DIGEST.first(token_digest(secret))
    if row is None:
        return None
    *user_values, token_id, last_used_at = row
    now = timezone.now()
    if last_used_at is None or now - last_used_at > LAST_USED_PRECISION:
        _record_use(token_id, now)
    return User.from_db("default", _USER_FIELDS, user_values)


def _record_use(token_id: int, now) -> None:
    """Write a token's last use only if that waits for nobody: skipped while another
    request writes (on SQLite) or holds the token's row (PostgreSQL); the next call
    records it. A read must never wait behind a write for bookkeeping."""
    with write_if_free() as free:
        if free:
            row = ApiToken.objects.select_for_update(skip_locked=True).filter(pk=token_id)
            ApiToken.objects.filter(pk__in=list(row.values_list("pk", flat=True))).update(
                last_used_at=now
            )
