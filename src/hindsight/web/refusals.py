"""The one place the web app turns a refused change into what the person sees.

A record that does not exist (or that the person may not know of) is the 404 page. Every
other refusal — invalid input, a workflow or lock conflict, a permission the person lacks
for this change — is a message the view shows where the person is looking: in the form they
sent (htmx swaps it in), beside the field it names, or in the block they acted on. Access to
a page as a whole is checked before any change (get_postmortem_for), so those stay 403 pages.
"""

from hindsight.lib.errors import DomainError, NotFound


def refusal(exc: DomainError) -> str:
    """The message to show for EXC; NotFound propagates to the 404 page."""
    if isinstance(exc, NotFound):
        raise exc
    return exc.message
