"""The web app's views: read the request, call a service, render. Permission and workflow
rules live in the services (get_postmortem_for, workflow.allowed_moves, …); a refused
change comes back as a DomainError whose message is shown to the person as it is."""

import re
from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import push_url

from hindsight.accounts.models import ApiToken
from hindsight.accounts.services import create_token, revoke_token
from hindsight.incidents import services as incident_services
from hindsight.incidents.models import Incident
from hindsight.lib.errors import DomainError, Invalid, NotFound, PermissionDenied, StaleVersion
from hindsight.lib.http import site_url
from hindsight.lib.markdown import render_markdown
from hindsight.lib.schema import api_name
from hindsight.lib.writers import write_transaction
from hindsight.postmortems import (
    document,
    limits,
    lint,
    listing,
    related,
    services,
    templates,
    workflow,
)
from hindsight.postmortems.models import ActionItem, PostMortem, Status
from hindsight.reviews import services as review_services
from hindsight.web import changes, listpage, owners, queries, timeline
from hindsight.web.forms import (
    ActionItemForm,
    CommentForm,
    CoreForm,
    EventForm,
    EventLinesForm,
    IncidentFilterForm,
    IncidentForm,
    ItemStatusForm,
    ListFilterForm,
    NewIncidentForm,
    PostMortemCreateForm,
    ReviewersForm,
    ReviewForm,
    SignInForm,
    TokenForm,
    refused_entry,
)
from hindsight.web.redirects import safe_next
from hindsight.web.refusals import form_refusal, named_fields, refusal
from hindsight.web.sectionform import (
    attach_hints,
    nodes_from_post,
    parse_sections,
    section_nodes,
    with_added_row,
)

PAGE_SIZE = 20

MOVE_LABELS = {
    Status.IN_REVIEW: "Submit for review",
    Status.DRAFT: "Back to draft",
    Status.PUBLISHED: "Publish",
    Status.ARCHIVED: "Archive",
}


def web_view(view):
    """Signed-in only; a NotFound is a 404 page and a PermissionDenied a 403 page that
    says why, so no view repeats those checks."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from None
        except PermissionDenied as exc:
            return render(request, "403.html", {"message": exc.message}, status=403)

    return wrapper


# Error pages (hindsight/urls.py names them; 500 is Django's own, which renders 500.html
# with no request or database) -------------------------------------------------------------


def _exception_message(exception) -> str:
    """The sentence a view gave its Http404 or PermissionDenied, or "" (a URL that matched
    no route carries a dict, not a sentence)."""
    message = exception.args[0] if exception and exception.args else ""
    return message if isinstance(message, str) else ""


def not_found(request, exception=None):
    return render(request, "404.html", {"message": _exception_message(exception)}, status=404)


def forbidden(request, exception=None):
    return render(request, "403.html", {"message": _exception_message(exception)}, status=403)


def _fragment_or_page(request, page: str, fragment: str, context: dict, status: int = 200):
    """The same view serves the whole page or, for htmx, just the part it swaps."""
    return render(request, fragment if request.htmx else page, context, status=status)


# Accounts ------------------------------------------------------------------------------


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "web/login.html"
    redirect_authenticated_user = True


class PasswordView(auth_views.PasswordChangeView):
    template_name = "web/password.html"
    success_url = reverse_lazy("web:password")

    def form_valid(self, form):
        messages.success(self.request, "Your password has been changed.")
        return super().form_valid(form)


@web_view
def tokens(request):
    form = TokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        token, secret = create_token(request.user, label=form.cleaned_data["label"])
        form = TokenForm()
    context = {
        "form": form,
        "secret": secret,
        "tokens": ApiToken.objects.filter(user=request.user).order_by("-created_at"),
    }
    response = render(request, "web/tokens.html", context)
    response["Cache-Control"] = "no-store"  # the new token must not linger in a cache
    return response


@require_POST
@web_view
def token_revoke(request, token_id: int):
    try:
        token = revoke_token(token_id, user=request.user)
        messages.success(request, f"Token {token.hint}… ({token.label or 'no label'}) revoked.")
    except NotFound as exc:
        messages.error(request, exc.message)
    return redirect("web:tokens")


# Home and list -------------------------------------------------------------------------


@web_view
def home(request):
    return render(request, "web/home.html", queries.home(request.user))


@web_view
def postmortem_list(request):
    """The list, filtered and sorted as its address says: the address carries no empty
    parameter (a form sent without JavaScript is redirected to the clean one, and a live
    search pushes the clean one), so it can be shared and bookmarked."""
    query = listpage.without_empty(request.GET)
    if not request.htmx and query.urlencode() != request.GET.urlencode():
        return redirect(listpage.address(query))
    form = ListFilterForm(query or None)
    form.is_valid()
    try:
        result = listing.page(
            request.user,
            form.filters(cursor=query.get("cursor"), limit=PAGE_SIZE),
            snippets=True,
        )
    except Invalid as exc:  # a cursor from an old link: start again at the first page
        messages.error(request, refusal(exc))
        query.pop("cursor", None)
        return redirect(listpage.address(query))
    context = {"form": form, "page": result, **listpage.context(query, form, result.next_cursor)}
    if request.htmx and not request.htmx.history_restore_request:
        response = push_url(render(request, "web/_results.html", context), listpage.address(query))
    else:
        response = render(request, "web/postmortem_list.html", context)
    # The same address answers a fragment or the page: Back must never show the fragment.
    patch_vary_headers(response, ["HX-Request"])
    return response


# Creating ------------------------------------------------------------------------------


@web_view
def postmortem_create(request):
    if not services.may_create_postmortem(request.user):
        raise PermissionDenied(
            "Viewers cannot create post-mortems; ask an admin for the member role."
        )
    incidents = Incident.objects.order_by("-created_at")[:200]
    template_list = templates.list_templates()
    initial = {"incident": request.GET.get("incident", "")}
    form = PostMortemCreateForm(
        request.POST or None, incidents=incidents, templates=template_list, initial=initial
    )
    incident_form = NewIncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and incident_form.is_valid():
        data = {"title": form.cleaned_data["title"]}
        if form.cleaned_data["template"]:
            data["template"] = form.cleaned_data["template"]
        try:
            with write_transaction():
                incident_id = form.cleaned_data["incident"]
                if not incident_id:
                    fields = incident_form.data_for_service()
                    if not fields["title"]:
                        incident_form.add_error(
                            "title", "Choose an incident above, or give the new one a title."
                        )
                        raise _FormInvalid
                    incident_id = incident_services.create_incident(fields, by=request.user).id
                postmortem = services.create_postmortem(
                    {**data, "incident_id": incident_id}, by=request.user
                )
        except _FormInvalid:
            pass
        except DomainError as exc:
            form.add_error(None, refusal(exc))
        else:
            note = "Post-mortem created. Fill in the report below."
            if data.get("template"):
                note += (
                    " The template's prompts are shown with each field; confirm the events"
                    " and action items it suggests, or delete them."
                )
            messages.success(request, note)
            return redirect("web:edit", postmortem.id)
    context = {"form": form, "incident_form": incident_form, "templates": template_list}
    return render(request, "web/postmortem_create.html", context)


class _FormInvalid(Exception):
    pass


# Reading -------------------------------------------------------------------------------


def _workflow_context(postmortem: PostMortem, user, *, findings: list[dict] | None = None) -> dict:
    """The moves this user may make now and, for the others from this status, why not:
    the workflow's own refusal message, so the reason is never worked out twice."""
    allowed = workflow.allowed_moves(postmortem, user)
    refused = []
    for target in workflow.TRANSITIONS[postmortem.status]:
        if str(target) in allowed:
            continue
        try:
            workflow.check_move(
                postmortem, target, user, action_items=changes.action_items(postmortem)
            )
            reason = "Not available right now."
        except DomainError as exc:
            reason = refusal(exc)
        refused.append({"label": MOVE_LABELS[target], "reason": reason})
    moves = [{"to": m, "label": MOVE_LABELS[m]} for m in allowed]
    # Submitting and publishing show the lint as a checklist first.
    checked = any(m["to"] in (Status.IN_REVIEW, Status.PUBLISHED) for m in moves)
    return {
        "moves": moves,
        "refused_moves": refused,
        "lint": (lint_findings(postmortem) if findings is None else findings) if checked else [],
        "lint_blocks": checked and lint.blocks_on_errors(),
    }


# Where each finding's field is on the edit page.
_LINT_ANCHORS = {
    "summary": "id_summary",
    "impact": "id_impact",
    "rootCause": "id_root_cause",
    "timeline": "timeline",
    "actionItems": "action-items",
}


def lint_findings(postmortem: PostMortem) -> list[dict]:
    """The lint's findings for a page, each with the edit page's anchor for its field."""
    out = []
    for finding in services.lint_loaded(postmortem):
        top = re.split(r"[\[.]", finding.field, maxsplit=1)[0]
        anchor = _LINT_ANCHORS.get(top) or f"sec-{re.sub(r'(?<!^)(?=[A-Z])', '_', top).lower()}"
        out.append({**finding.as_dict(), "anchor": anchor, "top": top})
    return out


# The report's own parts, by the API names comments use, in the order the page shows them.
REPORT_PARTS = ("summary", "impact", "rootCause", "timeline", "actionItems")


def _report_context(postmortem: PostMortem, user, *, findings: list[dict] | None = None) -> dict:
    sections = section_nodes(postmortem.sections, blank_rows=0)
    return {
        "section_blocks": [
            {
                "name": api_name(node.name),
                "node": node,
                "nodes": node.children if node.kind == "group" else [node],
            }
            for node in sections
            if node.has_content
        ],
        "pm": postmortem,
        "renderings": document.renderings(postmortem),
        "can_edit": postmortem.can_be_edited_by(user) and not postmortem.is_locked,
        "has_unconfirmed_events": any(e.unconfirmed for e in postmortem.timeline),
        "has_unconfirmed_items": any(i.unconfirmed for i in postmortem.action_item_list),
        "sections": sections,
        "has_sections": any(node.has_content for node in sections),
        "item_status_choices": ItemStatusForm.base_fields["status"].choices,
        **_workflow_context(postmortem, user, findings=findings),
    }


def _place_threads(context: dict) -> None:
    """Threads about a part the page shows go beside it; the others (the title, the tags,
    a section emptied since) join the review block's list, which names what they are on."""
    shown = {*REPORT_PARTS, *(block["name"] for block in context["section_blocks"])}
    if context["pm"].impact is None:
        shown.discard("impact")
    if context["pm"].root_cause is None:
        shown.discard("rootCause")
    placed = context["section_threads"]
    for name in [n for n in placed if n not in shown]:
        context["threads"].extend(placed.pop(name))
    context["threads"].sort(key=lambda thread: (thread["comment"].created_at, thread["comment"].pk))
    # A message about a thread the page does not show is said in the review block.
    shown_threads = {t["comment"].pk for t in context["threads"]}
    shown_threads |= {t["comment"].pk for ts in placed.values() for t in ts}
    for thread_id in [t for t in context["thread_messages"] if t not in shown_threads]:
        context["review_messages"] += context["thread_messages"].pop(thread_id)


@web_view
def report(request, pm_id: str):
    return report_page(request, pm_id)


def report_page(request, pm_id: str, *, refused_item: dict | None = None):
    """The report page; with REFUSED_ITEM (refused_follow_through), answered 422 with that
    item's form open as it was sent."""
    postmortem = document.load(request.user, pm_id)
    may_change_owner = services.may_change_owner(postmortem, request.user)
    context = {
        **_report_context(postmortem, request.user),
        "timeline_entries": timeline.entries(postmortem),
        # Owners are suggested from the users where someone may hand an item on.
        "owner_users": (
            owners.picker_users() if may_change_owner and postmortem.action_item_list else []
        ),
        "share_url": site_url(request) + reverse("web:report", args=[postmortem.id]),
        **queries.completion(postmortem),
        **queries.review(postmortem, request.user),
        "follow_through": [
            (item, services.may_follow_through(postmortem, item.owner, request.user))
            for item in postmortem.action_item_list
        ],
        "may_change_owner": may_change_owner,
        "refused_item": refused_item,
        **_review_messages(request),
        "comment_form": CommentForm(
            sections=review_services.SECTIONS, initial={"section": request.GET.get("section")}
        ),
        "reviewers_form": ReviewersForm(),
        "review_form": ReviewForm(),
    }
    _place_threads(context)
    context["contents"] = _contents(context)
    return render(request, "web/report.html", context, status=422 if refused_item else 200)


def _contents(context: dict) -> list[dict]:
    """The report page's table of contents: each part shown, its anchor, and how many
    comment threads on it are still open."""
    pm = context["pm"]
    parts = [("summary", "Summary")]
    if pm.impact is not None:
        parts.append(("impact", "Impact"))
    if pm.root_cause is not None:
        parts.append(("rootCause", "Root cause"))
    parts += [("timeline", "Timeline"), ("actionItems", "Action items")]
    parts += [(block["name"], block["node"].label) for block in context["section_blocks"]]
    threads = context["section_threads"]
    contents = [
        {
            "anchor": "action-items" if name == "actionItems" else f"section-{name}",
            "label": label,
            "open_threads": sum(1 for t in threads.get(name, []) if not t["comment"].resolved_at),
        }
        for name, label in parts
    ]
    review = context["review"]
    if pm.status == Status.IN_REVIEW or context["comments"] or review["reviews"]:
        open_threads = sum(1 for t in context["threads"] if not t["comment"].resolved_at)
        contents.append({"anchor": "review", "label": "Review", "open_threads": open_threads})
    return contents


def _review_messages(request) -> dict:
    """A review action's outcome is shown in the block it jumped to: a thread's in that
    thread, the others' in the review block."""
    review, threads = [], {}
    for message in messages.get_messages(request):
        tags = message.tags.split()
        thread = next((t.removeprefix("thread-") for t in tags if t.startswith("thread-")), None)
        if thread and thread.isdigit():
            threads.setdefault(int(thread), []).append(message)
        elif "review" in tags:
            review.append(message)
    return {"review_messages": review, "thread_messages": threads}


@require_http_methods(["GET", "POST"])
@web_view
def related_panel(request, pm_id: str):
    """The report's related post-mortems (and the recurrence banner): fetched by the report
    page after it has shown, so the page itself costs the same queries; a page of its own
    without JavaScript."""
    postmortem = document.load(request.user, pm_id)
    typed = {}
    if request.method == "POST":  # the editor's panel: what is typed there, not yet saved
        typed = {
            "typed_title": request.POST.get("title", "")[: limits.TITLE],
            "typed_root_cause": request.POST.get("root_cause", "")[: limits.PROSE],
        }
    found = related.related(request.user, pm_id, limit=5, **typed)
    context = {"pm": postmortem, "related_reports": found, "as_typed": bool(typed)}
    template = "web/_related.html" if request.htmx else "web/related.html"
    return render(request, template, context)


# Editing the report --------------------------------------------------------------------


def _edit_context(postmortem, user, *, form=None, nodes=None, conflict=None, error=None):
    nodes = nodes if nodes is not None else section_nodes(postmortem.sections)
    attach_hints(nodes, postmortem.template_hints)
    items = postmortem.action_item_list
    entries = timeline.entries(postmortem)
    findings = lint_findings(postmortem)  # once: the editor's notes and the checklist
    return {
        **_report_context(postmortem, user, findings=findings),
        "lint_all": findings,
        "lint_tops": {
            top: sum(f["top"] == top for f in findings) for top in {f["top"] for f in findings}
        },
        "form": form or CoreForm(initial=CoreForm.initial_for(postmortem)),
        "hints": postmortem.template_hints,
        "section_nodes": nodes,
        "conflict": conflict,
        "error": error,
        "event_form": EventForm(),
        "lines_form": EventLinesForm(),
        "timeline_entries": entries,
        "has_milestones": any(kind == "milestone" for kind, _ in entries),
        "item_form": ActionItemForm(),
        "movable": changes.tied_neighbours(postmortem),
        "owner_users": owners.picker_users(),
        "owners_naming_users": owners.owners_naming_users([i.owner for i in items]),
        "today": timezone.now().date(),
    }


@web_view
def edit(request, pm_id: str):
    postmortem = services.get_postmortem_for(request.user, pm_id, write=True, html=True)
    if request.method != "POST":
        return render(request, "web/edit.html", _edit_context(postmortem, request.user))
    if "add-row" in request.POST:
        return _add_row(request, postmortem)
    form = CoreForm(request.POST)
    sections, section_errors = parse_sections(request.POST)
    nodes = nodes_from_post(request.POST, section_errors)
    if not form.is_valid() or section_errors:
        context = _edit_context(postmortem, request.user, form=form, nodes=nodes)
        context["error"] = "Some fields need attention; nothing was saved yet."
        return render(request, "web/edit.html", context, status=422)
    data = {**form.data_for_service(), **sections}
    try:
        saved, conflict = changes.save_report(
            pm_id, data, base_version=form.cleaned_data["version"], by=request.user
        )
    except DomainError as exc:
        context = _edit_context(postmortem, request.user, form=form, nodes=nodes)
        context["error"] = refusal(exc)
        return render(request, "web/edit.html", context, status=exc.status)
    if conflict:
        # Keep everything the person typed, take what only the others changed, and from
        # now on edit against the new version: saving again loses nobody's work.
        current = conflict.current
        post = request.POST.copy()
        post["version"] = str(current.version)
        core = CoreForm.initial_for(current)
        for name in conflict.theirs_only:
            if name in core:
                post[name] = core[name]
            else:
                sections[name] = current.section(name)
        nodes = section_nodes(sections)
        context = _edit_context(
            current, request.user, form=CoreForm(post), nodes=nodes, conflict=conflict
        )
        return render(request, "web/edit.html", context, status=409)
    messages.success(request, f"Saved (version {saved.version}).")
    return redirect("web:edit", saved.id)


def _add_row(request, postmortem):
    """One more entry in a section's list (five whys, factors, …), saving nothing: for htmx
    only the new entry (appended, so nothing typed meanwhile is redrawn), else the whole
    form as it was typed, the new entry focused."""
    nodes, node = with_added_row(request.POST, request.POST["add-row"])
    if node is None:
        return HttpResponse("There is no such list in the report.", status=422)
    if request.htmx:
        context = {"node": node, "pm": postmortem, "locked": postmortem.is_locked}
        return render(request, "web/_section_row_added.html", context)
    form = CoreForm(request.POST)
    return render(
        request, "web/edit.html", _edit_context(postmortem, request.user, form=form, nodes=nodes)
    )


@require_POST
@web_view
def preview(request):
    """A Markdown field rendered and sanitised by the server, for the live preview."""
    field = request.POST.get("preview", "")
    html = render_markdown(request.POST.get(field, ""))
    return render(request, "web/_preview.html", {"html": html})


@require_POST
@web_view
def move(request, pm_id: str):
    postmortem = services.get_postmortem_for(request.user, pm_id)
    target = request.POST.get("to", "")
    data = {"status": target}
    if request.POST.get("confirm_template_content") == "true":
        data["confirm_template_content"] = True
    try:
        services.update_postmortem(pm_id, data, by=request.user)
        messages.success(request, f"Status is now {target.replace('_', ' ').lower()}.")
    except DomainError as exc:
        if exc.extra.get("unconfirmed"):
            # Publishing waits for the template's suggestions: ask the author, listing them.
            context = {
                "pm": postmortem,
                "left": workflow.describe_unconfirmed(exc.extra["unconfirmed"]),
                "unconfirmed": exc.extra["unconfirmed"],
                "next_page": request.POST.get("next", ""),
            }
            return render(request, "web/publish_confirm.html", context, status=exc.status)
        messages.error(request, refusal(exc))
    if target == Status.DRAFT and request.POST.get("next") == "edit":
        return redirect("web:edit", postmortem.id)
    return redirect("web:report", postmortem.id)


@require_POST
@web_view
def delete(request, pm_id: str):
    try:
        services.delete_postmortem(pm_id, by=request.user)
    except DomainError as exc:
        messages.error(request, refusal(exc))
        return redirect("web:report", pm_id)
    messages.success(request, "Draft deleted.")
    return redirect("web:home")


# Timeline ------------------------------------------------------------------------------


def _timeline_response(request, postmortem, *, error=None, pending=None, **forms):
    """FORMS: the add forms as typed (event_form, lines_form), kept when refused or shown
    for a preview (PENDING: the events about to be added)."""
    if request.htmx or error or pending:
        # Refused or previewed: the same section, its message and what was typed, with or
        # without htmx.
        context = _edit_context(postmortem, request.user)
        context.update(timeline_error=error, **forms)
        if pending:
            context["pending"] = timeline.preview(pending, postmortem.incident)
        page = "web/_timeline.html" if request.htmx else "web/edit.html"
        return render(request, page, context, status=422 if error else 200)
    return redirect(reverse("web:edit", args=[postmortem.id]) + "#timeline")


def _timeline_step(request, pm_id: str, build, **forms):
    postmortem = services.get_postmortem_for(request.user, pm_id, write=True)
    try:
        events = build(changes.timeline(postmortem))
        if events is None:
            return _timeline_response(request, postmortem, error="That event does not exist.")
        postmortem = changes.save_timeline(postmortem, events, by=request.user)
    except DomainError as exc:
        return _timeline_response(request, postmortem, error=refusal(exc), **forms)
    return _timeline_response(request, postmortem)


@require_POST
@web_view
def event_add(request, pm_id: str):
    if "event-lines" in request.POST:
        return _event_lines_add(request, pm_id)
    form = EventForm(request.POST)
    if not form.is_valid():
        postmortem = services.get_postmortem_for(request.user, pm_id, write=True)
        return _timeline_response(
            request, postmortem, error="Check the new event's fields.", event_form=form
        )
    return _timeline_step(request, pm_id, lambda events: [*events, form.values()], event_form=form)


def _event_lines_add(request, pm_id: str):
    """Events written one per line: one is added at once; several are shown first, and
    added when the same lines are sent again."""
    form = EventLinesForm(request.POST)
    if not form.is_valid() or form.needs_preview:
        postmortem = services.get_postmortem_for(request.user, pm_id, write=True)
        if form.errors:
            error = "Check the new events; nothing was added."
            return _timeline_response(request, postmortem, error=error, lines_form=form)
        return _timeline_response(request, postmortem, pending=form.events, lines_form=form)
    return _timeline_step(request, pm_id, lambda events: [*events, *form.events], lines_form=form)


@require_POST
@web_view
def event_edit(request, pm_id: str, event_id: str):
    form = EventForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        postmortem = services.get_postmortem_for(request.user, pm_id, write=True)
        # The event's own form is shown again, open, with what was typed and each message
        # under its field (the timeline's message says which event).
        refused = {
            "id": event_id,
            "errors": {name: " ".join(messages_) for name, messages_ in form.errors.items()},
            "typed": {name: request.POST.get(f"event-{name}", "") for name in form.fields},
        }
        return _timeline_response(
            request, postmortem, error=f"Event not saved — {errors}", refused_event=refused
        )

    def build(events):
        if not any(e["id"] == event_id for e in events):
            return None
        return [dict(e, **form.changes()) if e["id"] == event_id else e for e in events]

    return _timeline_step(request, pm_id, build)


@require_POST
@web_view
def event_confirm(request, pm_id: str, event_id: str):
    """Confirm one event a template suggested, as it stands."""

    def build(events):
        if not any(e["id"] == event_id for e in events):
            return None
        return [dict(e, unconfirmed=False) if e["id"] == event_id else e for e in events]

    return _timeline_step(request, pm_id, build)


@require_POST
@web_view
def event_delete(request, pm_id: str, event_id: str):
    return _timeline_step(request, pm_id, lambda events: [e for e in events if e["id"] != event_id])


@require_POST
@web_view
def event_move(request, pm_id: str, event_id: str):
    step = -1 if request.POST.get("direction") == "up" else 1

    def build(events):
        if not any(e["id"] == event_id for e in events):
            return None
        return changes.with_event_moved(events, event_id, step)

    return _timeline_step(request, pm_id, build)


# Action items --------------------------------------------------------------------------


def _items_response(request, postmortem, *, error=None, form=None, back="edit", refused=None):
    """The action items again: the section (htmx) or the edit page, with ERROR above them
    or REFUSED (web/forms.py refused_entry) in that item's own form."""
    refused_now = error or refused
    if request.htmx or (refused_now and back == "edit"):
        context = _edit_context(postmortem, request.user)
        context.update(items_error=error, item_form=form or ActionItemForm(), refused_item=refused)
        page = "web/_action_items.html" if request.htmx else "web/edit.html"
        return render(request, page, context, status=422 if refused_now else 200)
    if error:
        messages.error(request, error)
    return redirect(reverse(f"web:{back}", args=[postmortem.id]) + "#action-items")


@require_POST
@web_view
def item_add(request, pm_id: str):
    postmortem = services.get_postmortem_for(request.user, pm_id, write=True)
    form = ActionItemForm(request.POST)
    if not form.is_valid():
        return _items_response(request, postmortem, error="Check the new item's fields.", form=form)
    try:
        items = [*changes.action_items(postmortem), form.values()]
        postmortem = changes.save_action_items(postmortem, items, by=request.user)
    except DomainError as exc:
        return _items_response(request, postmortem, error=refusal(exc), form=form)
    return _items_response(request, postmortem)


def report_of_item(item_id: str) -> str:
    """The post-mortem an action item belongs to (its id), or NotFound."""
    pm_id = ActionItem.objects.filter(pk=item_id).values_list("postmortem_id", flat=True).first()
    if pm_id is None:
        raise NotFound(f"There is no action item {item_id}.")
    return pm_id


@require_POST
@web_view
def item_edit(request, item_id: str):
    postmortem = services.get_postmortem_for(request.user, report_of_item(item_id), write=True)
    form = ActionItemForm(request.POST)
    if not form.is_valid():
        errors, said = form_refusal(form)
        refused = refused_entry(
            request.POST, item_id, ActionItemForm, f"Item not saved — {said}", errors
        )
        return _items_response(request, postmortem, refused=refused)
    try:
        changed = form.changes()
        if changed:
            postmortem, _ = services.update_action_item(item_id, changed, by=request.user)
    except DomainError as exc:
        message = refusal(exc)
        named = named_fields(exc, message)
        refused = refused_entry(
            request.POST, item_id, ActionItemForm, f"Item not saved — {message}", named
        )
        return _items_response(request, postmortem, refused=refused)
    return _items_response(request, postmortem)


@require_POST
@web_view
def item_confirm(request, item_id: str):
    """Confirm one action item a template suggested, as it stands."""
    postmortem = services.get_postmortem_for(request.user, report_of_item(item_id), write=True)
    try:
        postmortem, _ = services.update_action_item(
            item_id, {"unconfirmed": False}, by=request.user
        )
    except DomainError as exc:
        return _items_response(request, postmortem, error=refusal(exc))
    return _items_response(request, postmortem)


@require_POST
@web_view
def item_delete(request, item_id: str):
    postmortem = services.get_postmortem_for(request.user, report_of_item(item_id), write=True)
    try:
        items = [i for i in changes.action_items(postmortem) if i["id"] != item_id]
        postmortem = changes.save_action_items(postmortem, items, by=request.user)
    except DomainError as exc:
        return _items_response(request, postmortem, error=refusal(exc))
    return _items_response(request, postmortem)


@require_POST
@web_view
def item_status(request, item_id: str):
    """Change only an item's status: allowed on a published report, and to its owner."""
    form = ItemStatusForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Unknown status.", status=422)
    error = None
    try:
        postmortem, item = services.update_action_item(
            item_id, {"status": form.cleaned_data["status"]}, by=request.user
        )
    except DomainError as exc:
        error = refusal(exc)
        postmortem = services.get_postmortem_for(request.user, report_of_item(item_id))
        item = next(i for i in postmortem.action_item_list if i.id == item_id)
    if request.htmx:
        context = {
            "item": item,
            "pm": postmortem,
            "status_error": error,
            "item_status_choices": ItemStatusForm.base_fields["status"].choices,
            "status_next": safe_next(request, ""),
        }
        return render(request, "web/_item_status.html", context, status=403 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Action item is now {item.status.replace('_', ' ').lower()}.")
    return redirect(safe_next(request, reverse("web:report", args=[postmortem.id])))


# Incidents -----------------------------------------------------------------------------


@web_view
def incident_list(request):
    form = IncidentFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(queries.incident_list(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "filtered": any(filters.values()),
    }
    return render(request, "web/incident_list.html", context)


@web_view
def incident_create(request):
    if not incident_services.may_create_incidents(request.user):
        raise PermissionDenied("Viewers cannot create incidents.")
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = incident_services.create_incident(form.data_for_service(), by=request.user)
        except DomainError as exc:
            form.add_error(None, refusal(exc))
        else:
            messages.success(request, "Incident created.")
            return redirect("web:incident", incident.id)
    context = {"form": form, "incident": None, "may_save": True}
    return render(request, "web/incident_form.html", context)


@web_view
def incident_detail(request, incident_id: str):
    """The incident to read: its times and the durations between them, services, links,
    details and post-mortems; changing it is the edit page's."""
    if request.method == "POST":  # a form rendered before the edit page had its own address
        return incident_edit(request, incident_id)
    incident = incident_services.get_incident(incident_id)
    every = PostMortem.objects.filter(incident=incident)
    postmortems = list(
        every.visible_to(request.user).select_related("created_by").order_by("-created_at")
    )
    context = {
        "incident": incident,
        "milestones": _milestones(incident),
        "unrecorded": [
            label for name, label in timeline.MILESTONES if getattr(incident, name) is None
        ],
        "postmortems": postmortems,
        # Drafts count as existing (needs_postmortem says so); their titles stay private.
        "unreadable": every.count() - len(postmortems),
        "needs_pm": services.needs_postmortem(Incident.objects.filter(pk=incident.pk)).exists(),
        "edit_refusal": incident_services.edit_refusal(incident, request.user),
    }
    return render(request, "web/incident.html", context)


def _milestones(incident: Incident) -> list[dict]:
    """The incident's recorded milestones in time order (web/timeline.py, as the edit page's
    timeline shows them), each with the seconds since the start and since the one before."""
    started = incident.started_at
    return [
        {
            "label": m.label,
            "at": m.at,
            "since_start": int((m.at - started).total_seconds()) if started else None,
            "since_previous": m.since,
            "previous": m.previous,
        }
        for m in timeline.milestones(incident)
    ]


@web_view
def incident_edit(request, incident_id: str):
    incident = incident_services.get_incident(incident_id)
    initial = {
        f: getattr(incident, f) for f in IncidentForm.base_fields if f not in ("services", "links")
    }
    initial["services"] = ", ".join(incident.services)
    initial["links"] = IncidentForm.links_text(incident.links)
    initial["severity"] = incident.severity or ""
    form = IncidentForm(request.POST or None, initial=initial)
    conflict = False
    refusal_reason = incident_services.edit_refusal(incident, request.user)
    if refusal_reason is not None:
        raise PermissionDenied(refusal_reason)
    if request.method == "POST" and form.is_valid():
        # Only what the person changed is written, so a field someone else changed meanwhile
        # is kept; a client without the rendered values is checked against the version.
        changed = form.changed_data_for_service()
        try:
            incident = incident_services.update_incident(
                incident_id,
                form.data_for_service() if changed is None else changed,
                by=request.user,
                if_match=form.cleaned_data["version"] if changed is None else None,
            )
        except StaleVersion:
            # Keep what the person typed; show the saved values next to it.
            incident = incident_services.get_incident(incident_id)
            post = request.POST.copy()
            post["version"] = str(incident.version)
            form = IncidentForm(post)
            form.is_valid()
            form.add_error(
                None,
                "Someone else saved this incident while you were editing. Your values are"
                " kept in the form; the saved ones are listed beside it. Save again to"
                " apply yours.",
            )
            conflict = True
        except DomainError as exc:
            form.add_error(None, refusal(exc))
        else:
            messages.success(request, "Incident saved.")
            return redirect("web:incident", incident.id)
    shown = IncidentForm(initial=initial) if not conflict else form
    context = {
        "form": form,
        "incident": incident,
        "conflict": conflict,
        # What each field showed: a re-shown form keeps the values it was first rendered with.
        "was_values": _was_values(request, shown),
    }
    return render(request, "web/incident_form.html", context)


def _was_values(request, form) -> list[tuple[str, str]]:
    """The `was-` inputs: those the request carried (a form shown again after a refusal
    keeps what it first showed), else the form's own values."""
    carried = [
        (k[len("was-") :], v)
        for k in request.POST
        for v in request.POST.getlist(k)
        if k.startswith("was-")
    ]
    return carried or form.rendered_values()
