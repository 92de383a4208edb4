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

    def _get_key(self, request):
        # The session plays no part when the caller offers a token (a wrong one is a 401, not
        # a CSRF failure) or has no session: CSRF guards a session, nothing else.
        if "Authorization" in request.headers or self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        if key is None:
            return None
        user = super().authenticate(request, key)
        return user if user and user.is_active else None


api_auth = [BearerToken(), Session()]
