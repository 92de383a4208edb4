"""Domain errors. Services raise them; the API maps each to one HTTP status and JSON shape
(see api.py and README "Errors"), the web views to a message, the CLI to an exit code."""


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra

    def as_dict(self) -> dict:
        body = {"error": self.code, "message": self.message, "fields": self.fields}
        body.update(self.extra)
        return body


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class Invalid(DomainError):
    """The request is well-formed but a value in it is wrong."""

    status = 422
    code = "invalid"


class Conflict(DomainError):
    """The record's state does not allow this change (locked, illegal move, duplicate id)."""

    status = 409
    code = "conflict"


class StaleVersion(DomainError):
    status = 412
    code = "stale_version"
