"""Users and API tokens: the functions the CLI, the admin and the settings page call."""

from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from hindsight.accounts.models import ApiToken, Role, User, token_digest
from hindsight.lib.compiled import CompiledQuery
from hindsight.lib.errors import Conflict, Invalid, NotFound
from hindsight.lib.writers import write_if_free, write_transaction

# Writing last_used_at on every call would turn every read into a write (and on SQLite
# serialise all requests); a minute's precision is enough to spot unused tokens.
LAST_USED_PRECISION = timedelta(minutes=1)


# Identities ------------------------------------------------------------------------------
#
# Contributors, owners and reviewers are named by user name or email, in any case, so each
# such string must name one user at most: names and emails are unique across both,
# case-insensitively. The database cannot hold that rule (it spans two columns), so every
# write of a name or email checks it here, inside the writer's transaction.


def clean_email(email: str) -> str:
    """EMAIL trimmed, or Invalid if it is not an address (empty is no email)."""
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise Invalid(
                f"{email!r} is not an email address.", fields={"email": "not an email address"}
            ) from None
    return email


def identity_clash(*, username: str | None = None, email: str | None = None, exclude=None):
    """Conflict naming the other user that USERNAME or EMAIL would also name, or None.
    EXCLUDE is the user being changed (their own name and email are no clash)."""
    others = User.objects.exclude(pk=exclude) if exclude is not None else User.objects.all()
    for field, value in (("username", username), ("email", email)):
        if not value:
            continue
        other = others.filter(Q(username__iexact=value) | Q(email__iexact=value)).first()
        if other is None:
            continue
        if other.username.lower() == value.lower():
            message = f"A user named {other.username} already exists."
        else:
            message = f"{value} is the email of user {other.username}."
        return Conflict(
            message + " User names and emails must each name one user.",
            fields={field: "already names another user"},
        )
    return None


def identity_collisions() -> dict[str, list[User]]:
    """Names and emails (lower-cased) that more than one user answers to, made before they
    were checked: `hindsight migrate` reports them, and an admin fixes them in /admin/."""
    holders: dict[str, dict[int, User]] = {}
    for user in User.objects.order_by("username", "pk"):
        for identity in user.identities:
            holders.setdefault(identity, {})[user.pk] = user
    return {key: list(users.values()) for key, users in sorted(holders.items()) if len(users) > 1}


# By SHAPE, the number of names: each name is a parameter, the SQL compiled once per count.
_users_named = CompiledQuery(
    lambda shape, *keys: (
        User.objects.alias(name_key=Lower("username"), email_key=Lower("email"))
        .filter(Q(name_key__in=keys) | Q(email_key__in=keys))
        .values_list("pk", "username", "email")
    )
)


def users_named(names) -> dict[str, int]:
    """For each of NAMES (lower-cased): the id of the one user whose name or email it is.
    A name that names no user, or several (a collision made before they were checked), is
    left out: it names no one."""
    keys = {name.strip().lower() for name in names if name and name.strip()}
    if not keys:
        return {}
    found: dict[str, set[int]] = {}
    for pk, username, email in _users_named.rows(*sorted(keys), shape=len(keys)):
        for identity in {username.lower(), (email or "").lower()} & keys:
            found.setdefault(identity, set()).add(pk)
    return {key: next(iter(pks)) for key, pks in found.items() if len(pks) == 1}


def people_names() -> list[str]:
    """Every active user's username and full name: who the lint counts as a person."""
    names = []
    for username, first, last in User.objects.filter(is_active=True).values_list(
        "username", "first_name", "last_name"
    ):
        names += [username, f"{first} {last}".strip()]
    return [name for name in names if name]


# Users -----------------------------------------------------------------------------------


def create_user(username: str, *, password: str, email: str = "", role: str = Role.MEMBER) -> User:
    if role not in Role.values:
        raise Invalid(
            f"Unknown role {role!r}; use one of {', '.join(Role.values)}.", fields={"role": role}
        )
    email = clean_email(email)
    user = User(username=username, email=email, role=role)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise Invalid(
            "Password rejected: " + " ".join(exc.messages), fields={"password": "too weak"}
        ) from None
    user.set_password(password)
    with write_transaction():
        clash = identity_clash(username=username, email=email)
        if clash is not None:
            raise clash
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
