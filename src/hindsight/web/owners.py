"""Who an action item can be given to, for the edit page's owner picker: the users, by
name or email; an owner may also be any other address (a team list), shown as not a user."""

from django.contrib.auth import get_user_model
from django.db.models import Q

PICKER_LIMIT = 1000  # a datalist longer than this helps nobody; typing still works


def picker_users() -> list:
    """Active users, for the owner field's suggestions (value: user name; label: name and
    email, so either can be typed to find them)."""
    return list(
        get_user_model()
        .objects.filter(is_active=True)
        .order_by("username")
        .only("username", "email", "first_name", "last_name")[:PICKER_LIMIT]
    )


def owners_naming_users(owners: list[str | None]) -> set[str]:
    """Of OWNERS, the lower-cased ones that name a user (by user name or email, in any
    case), in one query."""
    wanted = {o.strip().lower() for o in owners if o and o.strip()}
    if not wanted:
        return set()
    match = Q()
    for name in wanted:
        match |= Q(username__iexact=name) | Q(email__iexact=name)
    found = set()
    for username, email in get_user_model().objects.filter(match).values_list("username", "email"):
        found.add(username.lower())
        if email:
            found.add(email.lower())
    return wanted & found
