"""Views for the follow-through: the Action Items page across post-mortems, review on the
report page, and a post-mortem's history. Thin, like views.py: the filters, permissions and
rules live in actionitems/, reviews/ and postmortems/."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from hindsight.actionitems import queries as item_queries
from hindsight.actionitems import services as bulk
from hindsight.actionitems.schemas import ActionItemFilters
from hindsight.lib.errors import DomainError, PermissionDenied
from hindsight.postmortems import document, history, services
from hindsight.reviews import services as reviews
from hindsight.web import owners
from hindsight.web.diffview import readable
from hindsight.web.forms import (
    ActionItemFilterForm,
    BulkStatusForm,
    CommentForm,
    FollowThroughForm,
    ItemStatusForm,
    ReviewersForm,
    ReviewForm,
    refused_entry,
)
from hindsight.web.redirects import safe_next
from hindsight.web.refusals import form_refusal, named_fields, refusal
from hindsight.web.views import PAGE_SIZE, report_of_item, report_page, web_view

# Action items across post-mortems ------------------------------------------------------


@web_view
def action_items(request):
    form = ActionItemFilterForm(
        request.GET, postmortems=item_queries.picker_choices(request.user, request.GET)
    )
    form.is_valid()
    items = item_queries.find(request.user, ActionItemFilters(**form.filters()))
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    done_toggle = query.copy()
    if form.open_only:
        done_toggle["includeDone"] = "true"
    else:
        done_toggle.pop("includeDone", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "api_query": form.api_query(query).urlencode(),
        "done_toggle": done_toggle.urlencode(),
        "bulk_form": BulkStatusForm(),
        "here": request.get_full_path(),
        "followable": services.items_followable_by(request.user, page.object_list),
        "owner_users": owners.picker_users(),
        "item_status_choices": ItemStatusForm.base_fields["status"].choices,
    }
    return render(request, "web/action_items.html", context)


@require_POST
@web_view
def action_items_bulk(request):
    """Set the status of the ticked items through the API's bulk service: all or nothing."""
    back = safe_next(request, reverse("web:action_items"))
    form = BulkStatusForm(request.POST)
    ids = request.POST.getlist("ids")
    if not ids:
        messages.error(request, "Tick at least one action item first; nothing was changed.")
    elif not form.is_valid():
        messages.error(request, "Choose the new status; nothing was changed.")
    else:
        try:
            changed = bulk.set_status(ids, form.cleaned_data["status"], by=request.user)
        except DomainError as exc:
            messages.error(request, refusal(exc))
        else:
            status = form.cleaned_data["status"].replace("_", " ").lower()
            count = len(changed)
            messages.success(
                request, f"{count} action item{'s' if count != 1 else ''} now {status}."
            )
    return redirect(back)


@require_POST
@web_view
def item_follow_through(request, item_id: str):
    """Status, owner, due date and tracker link of one item: still editable once published.
    A refusal shows the report page again with this form open as it was sent."""
    form = FollowThroughForm(request.POST)
    if not form.is_valid():
        errors, said = form_refusal(form)
        return _refused(request, item_id, f"Action item not saved — {said}", errors)
    try:
        changed = form.changes()
        if changed:
            postmortem, _ = services.update_action_item(item_id, changed, by=request.user)
        else:
            postmortem = services.get_postmortem_for(request.user, report_of_item(item_id))
    except PermissionDenied as exc:  # no form was shown to them: the message, on the page
        messages.error(request, refusal(exc))
        return redirect(reverse("web:report", args=[report_of_item(item_id)]) + "#action-items")
    except DomainError as exc:
        message = refusal(exc)  # a NotFound is the 404 page
        named = named_fields(exc, message)
        return _refused(request, item_id, f"Action item not saved — {message}", named)
    messages.success(request, "Action item saved." if changed else "Nothing changed.")
    return redirect(reverse("web:report", args=[postmortem.id]) + "#action-items")


def _refused(request, item_id: str, message: str, errors: dict):
    """The report page again, answered 422, with ITEM_ID's form open as it was sent."""
    refused = refused_entry(request.POST, item_id, FollowThroughForm, message, errors)
    return report_page(request, report_of_item(item_id), refused_item=refused)


# Review --------------------------------------------------------------------------------


def _back_to_review(pm_id: str):
    return redirect(reverse("web:report", args=[pm_id]) + "#review")


def _back_to_thread(pm_id: str, thread_id: int):
    return redirect(reverse("web:report", args=[pm_id]) + f"#comment-{thread_id}")


def _thread_tags(thread_id: int) -> str:
    """Messages about one thread are shown in that thread (see views.report)."""
    return f"review thread-{thread_id}"


@require_POST
@web_view
def comment_add(request, pm_id: str):
    form = CommentForm(request.POST, sections=reviews.SECTIONS)
    parent = form.data.get("comment-parent") or None
    parent_id = int(parent) if parent and parent.isdigit() else None
    tags = _thread_tags(parent_id) if parent_id else "review"
    back = (
        (lambda: _back_to_thread(pm_id, parent_id))
        if parent_id
        else (lambda: _back_to_review(pm_id))
    )
    if not form.is_valid():
        messages.error(
            request, extra_tags=tags, message="Write a comment first; nothing was posted."
        )
        return back()
    try:
        comment = reviews.add_comment(
            pm_id,
            body=form.cleaned_data["body"],
            section=None if parent_id else form.cleaned_data["section"] or None,
            parent_id=parent_id,
            by=request.user,
        )
    except DomainError as exc:
        messages.error(request, extra_tags=tags, message=refusal(exc))
        return back()
    thread = comment.parent_id or comment.pk
    messages.success(
        request,
        extra_tags=_thread_tags(thread),
        message="Reply posted." if comment.parent_id else "Comment posted.",
    )
    return _back_to_thread(pm_id, thread)


@require_POST
@web_view
def comment_resolve(request, pm_id: str, comment_id: int):
    resolved = request.POST.get("resolved") != "false"
    try:
        reviews.set_resolved(pm_id, comment_id, resolved=resolved, by=request.user)
    except DomainError as exc:
        messages.error(request, extra_tags=_thread_tags(comment_id), message=refusal(exc))
    else:
        messages.success(
            request,
            extra_tags=_thread_tags(comment_id),
            message="Resolved." if resolved else "Reopened.",
        )
    return _back_to_thread(pm_id, comment_id)


@require_POST
@web_view
def reviewers_request(request, pm_id: str):
    form = ReviewersForm(request.POST)
    if not form.is_valid() or not form.names():
        messages.error(
            request, extra_tags="review", message="Name at least one reviewer (user name or email)."
        )
        return _back_to_review(pm_id)
    try:
        reviews.request_reviewers(pm_id, form.names(), by=request.user)
    except DomainError as exc:
        messages.error(request, extra_tags="review", message=refusal(exc))
    else:
        messages.success(
            request,
            extra_tags="review",
            message=f"Review requested from {', '.join(form.names())}.",
        )
    return _back_to_review(pm_id)


@require_POST
@web_view
def review_submit(request, pm_id: str):
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, extra_tags="review", message="Choose Approve or Request changes.")
        return _back_to_review(pm_id)
    decision = form.cleaned_data["decision"]
    try:
        reviews.submit_review(
            pm_id, decision=decision, comment=form.cleaned_data["comment"], by=request.user
        )
    except DomainError as exc:
        messages.error(request, extra_tags="review", message=refusal(exc))
    else:
        messages.success(
            request,
            "You approved this version." if decision == "APPROVED" else "Changes requested.",
        )
    return _back_to_review(pm_id)


# History -------------------------------------------------------------------------------


def _version(value, default: int, current: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return min(max(number, 1), current)


@web_view
def postmortem_history(request, pm_id: str):
    postmortem = document.load(request.user, pm_id)
    current = postmortem.version
    to_version = _version(request.GET.get("to"), current, current)
    from_version = _version(request.GET.get("from"), max(to_version - 1, 1), current)
    result = history.diff(postmortem, from_version, to_version)
    context = {
        "pm": postmortem,
        "entries": list(reversed(history.entries(postmortem))),
        "versions": range(current, 0, -1),
        "from_version": from_version,
        "to_version": to_version,
        "diff": readable(result["changes"]),
    }
    return render(request, "web/history.html", context)
