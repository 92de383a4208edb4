"""Small HTTP helpers shared by the API routers."""

from hindsight.lib.errors import DomainError


class BadPrecondition(DomainError):
    status = 400
    code = "bad_if_match"


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_version(request) -> int | None:
    """The version named by If-Match ("7" or 7), None when absent or "*"."""
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    value = raw.strip()
    if value.startswith("W/"):
        raise BadPrecondition(
            'If-Match needs a strong ETag such as "7", not a weak one.', fields={"If-Match": raw}
        )
    try:
        return int(value.strip('"'))
    except ValueError:
        raise BadPrecondition(
            f'If-Match must be the ETag returned by GET, such as "7", not {raw!r}.',
            fields={"If-Match": raw},
        ) from None
