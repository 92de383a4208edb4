"""Where a form sends the person back to: only a path on this site."""

from urllib.parse import unquote

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, fallback: str) -> str:
    """The form's `next` if it is a path on this site, else FALLBACK.

    Checked as written and once more percent-decoded: `/%2F%2Fevil.example` is a path
    here, but a proxy or browser that decodes it sees `//evil.example`, another site."""
    back = request.POST.get("next") or ""
    allowed = {request.get_host()}
    if back.startswith("/") and all(
        url_has_allowed_host_and_scheme(form, allowed_hosts=allowed, require_https=False)
        and not form.startswith(("//", "/\\"))
        for form in (back, unquote(back))
    ):
        return back
    return fallback
