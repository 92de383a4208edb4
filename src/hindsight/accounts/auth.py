"""How API callers prove who they are: a bearer token, or the web app's session."""

from ninja.security import HttpBearer, SessionAuth

from hindsight.accounts.services import user_for_token


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class Session(SessionAuth):
    """The signed-in browser, so the web app can call the API too (CSRF is checked)."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user and user.is_active else None


api_auth = [BearerToken(), Session()]
