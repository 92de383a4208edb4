"""The one seam through which the domain announces what happened (issue 5).

Services call `notify` inside their transaction and every subscribed handler runs there, so
what a handler records exists exactly when the change that caused it is committed. This
module knows no app: the notifications app subscribes its outbox writer in
`AppConfig.ready` (hindsight.notifications.apps), and `hindsight worker` sends what it
recorded afterwards. Nothing is sent during the request.
"""

from collections.abc import Callable

# A handler takes the events of one change together: [(event, data), …].
Handler = Callable[[list[tuple[str, dict]]], object]

_handlers: list[Handler] = []


def subscribe(handler: Handler) -> None:
    """Call HANDLER([(event, data), …]) on every `notify` and `notify_all`. Subscribing a handler again is a no-op,
    so an app's `ready()` may run more than once."""
    if handler not in _handlers:
        _handlers.append(handler)


def notify(event: str, **data) -> None:
    """Announce EVENT (e.g. "postmortem.published") with plain JSON-serialisable DATA.

    Each subscribed handler runs in the caller's transaction; with notifications installed
    that records the event and one delivery per subscribed channel (see
    docs/notifications.md for the names and the payload receivers get). A handler's error
    propagates, so the change that announced the event is rolled back with it.
    """
    notify_all([(event, data)])


def notify_all(announcements: list[tuple[str, dict]]) -> None:
    """Announce the events one change caused, together (so a handler records them in one
    go: one look-up of who listens, one insert), in the caller's transaction."""
    if not announcements:
        return
    for handler in tuple(_handlers):
        handler(announcements)
