"""Turning a delivery into a message and sending it: signed JSON for webhooks, a readable
line for Slack, an email. Nothing here touches the database; the worker records the result.

Signature (webhooks): HMAC-SHA256 with the channel's secret over
`<X-Hindsight-Timestamp> + "." + <raw body>`, sent as `X-Hindsight-Signature: sha256=<hex>`.
The timestamp is the moment of the attempt, so receivers can refuse old replays; the body
(and its `id`, the idempotency key) is the same on every attempt.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from hindsight import __version__
from hindsight.notifications import conf
from hindsight.notifications.models import Delivery, Kind


@dataclass
class Result:
    ok: bool
    status_code: int | None = None
    error: str = ""


def payload(delivery: Delivery) -> dict:
    event = delivery.event
    return {
        "id": delivery.id,
        "event": event.name,
        "occurredAt": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }


def body_bytes(delivery: Delivery) -> bytes:
    return json.dumps(payload(delivery), separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


# Readable text (Slack and email) ------------------------------------------------------


def postmortem_url(postmortem_id: str) -> str:
    return f"{settings.BASE_URL}/postmortems/{postmortem_id}"


def _pick(data: dict, *names):
    for name in names:
        if data.get(name) not in (None, ""):
            return data[name]
    return None


def summary(event: str, data: dict) -> tuple[str, str | None]:
    """A one-line description of EVENT and the link to the post-mortem it concerns, from
    whatever DATA holds (nested `postmortem`/`actionItem` objects or flat ids). An event
    about a draft carries no title or item (see services._draft_view): it names the report
    by its id."""
    pm = data.get("postmortem") if isinstance(data.get("postmortem"), dict) else {}
    item = _pick(data, "actionItem", "action_item")
    item = item if isinstance(item, dict) else {}
    pm_id = _pick(pm, "id") or _pick(data, "postmortemId", "postmortem_id")
    title = _pick(pm, "title") or _pick(data, "title")
    draft = (_pick(pm, "status") or _pick(data, "status")) == "DRAFT"
    if title:
        report = f'post-mortem "{title}"'
    else:
        report = f"{'draft ' if draft else ''}post-mortem {pm_id or ''}".strip()
    report_ = report[0].upper() + report[1:]
    by = _pick(data, "by", "actor", "reviewer")
    by = by.get("username") if isinstance(by, dict) else by
    suffix = f" by {by}" if by else ""
    description = _pick(item, "description") or _pick(data, "description")
    an_item = f'Action item "{description}"' if description else "An action item"
    owner = _pick(item, "owner") or _pick(data, "owner")
    due = _pick(item, "dueDate", "due_date") or _pick(data, "dueDate", "due_date")
    texts = {
        "postmortem.submitted": f"{report_} was submitted for review{suffix}.",
        "review.approved": f"{report_} was approved{suffix}.",
        "review.changes_requested": f"Changes were requested on {report}{suffix}.",
        "postmortem.published": f"{report_} was published{suffix}.",
        "postmortem.overdue": f"{report_} is overdue"
        + (f" (due {_pick(data, 'dueAt')})." if _pick(data, "dueAt") else "."),
        "action_item.assigned": f"{an_item} was assigned"
        + (f" to {owner}" if owner else "")
        + f" ({report}).",
        "action_item.overdue": f"{an_item} is overdue"
        + (f" (due {due})" if due else "")
        + (f", owner {owner}" if owner else "")
        + f" ({report}).",
    }
    text = texts.get(event, f"{event}: {title or pm_id or 'a post-mortem'}")
    return text, postmortem_url(pm_id) if pm_id else None


def slack_message(delivery: Delivery) -> dict:
    text, link = summary(delivery.event.name, delivery.event.data)
    return {"text": f"{text} <{link}|Open in Hindsight>" if link else text}


# Sending ------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect would turn the POST into a GET elsewhere; report it as a failure instead.
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(url: str, body: bytes, headers: dict, timeout: float) -> Result:
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("User-Agent", f"Hindsight/{__version__}")
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with _opener.open(request, timeout=timeout) as response:
            return Result(ok=200 <= response.status < 300, status_code=response.status)
    except urllib.error.HTTPError as error:
        detail = error.read(300).decode("utf-8", "replace").strip()
        return Result(False, error.code, f"HTTP {error.code}" + (f": {detail}" if detail else ""))
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return Result(False, None, f"{type(reason).__name__}: {reason}")


def send(delivery: Delivery, *, timeout: float) -> Result:
    channel = delivery.channel
    if channel.kind == Kind.WEBHOOK:
        body = body_bytes(delivery)
        timestamp = str(int(time.time()))
        headers = {
            "X-Hindsight-Event": delivery.event.name,
            "X-Hindsight-Delivery": delivery.id,
            "X-Hindsight-Timestamp": timestamp,
            "X-Hindsight-Signature": sign(channel.secret, timestamp, body),
        }
        return _post(channel.url, body, headers, timeout)
    if channel.kind == Kind.SLACK:
        return _post(channel.url, json.dumps(slack_message(delivery)).encode(), {}, timeout)
    if channel.kind == Kind.EMAIL:
        return _email(delivery, timeout)
    return Result(False, None, f"unknown channel kind {channel.kind!r}")


def _email(delivery: Delivery, timeout: float) -> Result:
    text, link = summary(delivery.event.name, delivery.event.data)
    smtp = conf.email_settings()
    try:
        if smtp:
            connection = get_connection(
                "django.core.mail.backends.smtp.EmailBackend", timeout=timeout, **smtp
            )
        else:
            connection = get_connection(timeout=timeout)
        message = EmailMessage(
            subject=f"[Hindsight] {text}"[:200],
            body=f"{text}\n\n{link or settings.BASE_URL}\n",
            from_email=conf.email_from(),
            to=delivery.channel.recipients if delivery.recipients is None else delivery.recipients,
            headers={"X-Hindsight-Event": delivery.event.name, "X-Hindsight-Delivery": delivery.id},
            connection=connection,
        )
        message.send()
    except Exception as error:  # SMTP, socket and DNS errors all mean "try again later"
        return Result(False, None, f"{type(error).__name__}: {error}")
    return Result(True)
