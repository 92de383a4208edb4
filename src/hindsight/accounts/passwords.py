"""Password rules Django does not ship."""

from django.core.exceptions import ValidationError


class NotOnlySpaceValidator:
    """Refuse a password made only of white space: long enough and uncommon to Django's
    validators, yet guessed at once."""

    def validate(self, password: str, user=None) -> None:
        if not password.strip():
            raise ValidationError(
                "This password is only spaces; use some letters, digits or symbols.",
                code="password_only_space",
            )

    def get_help_text(self) -> str:
        return "Your password cannot be only spaces."
