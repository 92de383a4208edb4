"""The one seam through which the domain announces what happened (issue 5).

Services call `notify` inside their transaction, so an event exists exactly when the change
that caused it is committed: it writes to the notifications outbox (hindsight.notifications),
and `hindsight worker` sends it afterwards. Nothing is sent during the request.
"""


def notify(event: str, **data) -> None:
    """Announce EVENT (e.g. "postmortem.published") with plain JSON-serialisable DATA.

    Records the event and one delivery per subscribed channel in the caller's transaction
    (see docs/notifications.md for the names and the payload receivers get).
    """
    from hindsight.notifications.services import record_event

    record_event(event, data)
