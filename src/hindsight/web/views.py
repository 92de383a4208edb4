"""The web app's views: read the request, call a service, render. Permission and workflow
rules live in the services (get_postmortem_for, workflow.allowed_moves, …); a refused
change comes back as a DomainError whose message is shown to the person as it is."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_POST

from hindsight.accounts.models import ApiToken
from hindsight.accounts.services import create_token, revoke_token
from hindsight.incidents import services as incident_services
from hindsight.incidents.models import Incident
from hindsight.lib.errors import DomainError, NotFound, PermissionDenied, StaleVersion
from hindsight.lib.markdown import render_markdown
from hindsight.lib.writers import write_transaction
from hindsight.postmortems import document, services, templates, workflow
from hindsight.postmortems.models import ActionItem, PostMortem, Status
from hindsight.reviews import services as review_services
from hindsight.web import changes, queries
from hindsight.web.forms import (
    ActionItemForm,
    CommentForm,
    CoreForm,
    EventForm,
    IncidentForm,
    ItemStatusForm,
    ListFilterForm,
    NewIncidentForm,
    PostMortemCreateForm,
    ReviewersForm,
    ReviewForm,
    SignInForm,
    TokenForm,
)
from hindsight.web.redirects import safe_next
from hindsight.web.refusals import refusal
from hindsight.web.sectionform import nodes_from_post, parse_sections, section_nodes

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
            return render(request, "web/error.html", {"message": exc.message}, status=403)

    return wrapper


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
    form = ListFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(queries.postmortem_list(request.user, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return _fragment_or_page(request, "web/postmortem_list.html", "web/_results.html", context)


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
            messages.success(request, "Post-mortem created. Fill in the report below.")
            return redirect("web:edit", postmortem.id)
    context = {"form": form, "incident_form": incident_form, "templates": template_list}
    return render(request, "web/postmortem_create.html", context)


class _FormInvalid(Exception):
    pass


# Reading -------------------------------------------------------------------------------


def _workflow_context(postmortem: PostMortem, user) -> dict:
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
    return {
        "moves": [{"to": m, "label": MOVE_LABELS[m]} for m in allowed],
        "refused_moves": refused,
    }


def _report_context(postmortem: PostMortem, user) -> dict:
    sections = section_nodes(postmortem.sections, blank_rows=0)
    return {
        "pm": postmortem,
        "renderings": document.renderings(postmortem),
        "can_edit": postmortem.can_be_edited_by(user) and not postmortem.is_locked,
        "sections": sections,
        "has_sections": any(node.has_content for node in sections),
        "item_status_choices": ItemStatusForm.base_fields["status"].choices,
        "share_url": f"{settings.BASE_URL}{reverse('web:report', args=[postmortem.id])}",
        **_workflow_context(postmortem, user),
    }


@web_view
def report(request, pm_id: str):
    postmortem = document.load(request.user, pm_id)
    context = {
        **_report_context(postmortem, request.user),
        **queries.completion(postmortem),
        **queries.review(postmortem, request.user),
        "follow_through": [
            (item, services.may_follow_through(postmortem, item.owner, request.user))
            for item in postmortem.action_item_list
        ],
        "may_change_owner": services.may_change_owner(postmortem, request.user),
        # A review action's outcome is shown in the review block it jumped to.
        "review_messages": [
            m for m in messages.get_messages(request) if "review" in m.tags.split()
        ],
        "comment_form": CommentForm(sections=review_services.SECTIONS),
        "reviewers_form": ReviewersForm(),
        "review_form": ReviewForm(),
    }
    return render(request, "web/report.html", context)


# Editing the report --------------------------------------------------------------------


def _edit_context(postmortem, user, *, form=None, nodes=None, conflict=None, error=None):
    return {
        **_report_context(postmortem, user),
        "form": form or CoreForm(initial=CoreForm.initial_for(postmortem)),
        "section_nodes": nodes if nodes is not None else section_nodes(postmortem.sections),
        "conflict": conflict,
        "error": error,
        "event_form": EventForm(),
        "item_form": ActionItemForm(),
        "movable": changes.tied_neighbours(postmortem),
    }


@web_view
def edit(request, pm_id: str):
    postmortem = services.get_postmortem_for(request.user, pm_id, write=True, html=True)
    if request.method != "POST":
        return render(request, "web/edit.html", _edit_context(postmortem, request.user))
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
    try:
        services.update_postmortem(pm_id, {"status": target}, by=request.user)
        messages.success(request, f"Status is now {target.replace('_', ' ').lower()}.")
    except DomainError as exc:
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


def _timeline_response(request, postmortem, *, error=None, form=None):
    if request.htmx or error:
        # Refused: the same section, its message and what was typed, with or without htmx.
        context = _edit_context(postmortem, request.user)
        context.update(timeline_error=error, event_form=form or EventForm())
        page = "web/_timeline.html" if request.htmx else "web/edit.html"
        return render(request, page, context, status=422 if error else 200)
    return redirect(reverse("web:edit", args=[postmortem.id]) + "#timeline")


def _timeline_step(request, pm_id: str, build, form=None):
    postmortem = services.get_postmortem_for(request.user, pm_id, write=True)
    try:
        events = build(changes.timeline(postmortem))
        if events is None:
            return _timeline_response(request, postmortem, error="That event does not exist.")
        postmortem = changes.save_timeline(postmortem, events, by=request.user)
    except DomainError as exc:
        return _timeline_response(request, postmortem, error=refusal(exc), form=form)
    return _timeline_response(request, postmortem)


@require_POST
@web_view
def event_add(request, pm_id: str):
    form = EventForm(request.POST)
    if not form.is_valid():
        postmortem = services.get_postmortem_for(request.user, pm_id, write=True)
        return _timeline_response(
            request, postmortem, error="Check the new event's fields.", form=form
        )
    return _timeline_step(request, pm_id, lambda events: [*events, form.values()], form=form)


@require_POST
@web_view
def event_edit(request, pm_id: str, event_id: str):
    form = EventForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        postmortem = services.get_postmortem_for(request.user, pm_id, write=True)
        return _timeline_response(request, postmortem, error=f"Event not saved — {errors}")

    def build(events):
        if not any(e["id"] == event_id for e in events):
            return None
        return [dict(e, **form.changes()) if e["id"] == event_id else e for e in events]

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


def _items_response(request, postmortem, *, error=None, form=None, back="edit"):
    if request.htmx or (error and back == "edit"):
        context = _edit_context(postmortem, request.user)
        context.update(items_error=error, item_form=form or ActionItemForm())
        page = "web/_action_items.html" if request.htmx else "web/edit.html"
        return render(request, page, context, status=422 if error else 200)
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


def _parent_of(item_id: str) -> str:
    pm_id = ActionItem.objects.filter(pk=item_id).values_list("postmortem_id", flat=True).first()
    if pm_id is None:
        raise NotFound(f"There is no action item {item_id}.")
    return pm_id


@require_POST
@web_view
def item_edit(request, item_id: str):
    postmortem = services.get_postmortem_for(request.user, _parent_of(item_id), write=True)
    form = ActionItemForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        return _items_response(request, postmortem, error=f"Item not saved — {errors}")
    try:
        changed = form.changes()
        if changed:
            postmortem, _ = services.update_action_item(item_id, changed, by=request.user)
    except DomainError as exc:
        return _items_response(request, postmortem, error=refusal(exc))
    return _items_response(request, postmortem)


@require_POST
@web_view
def item_delete(request, item_id: str):
    postmortem = services.get_postmortem_for(request.user, _parent_of(item_id), write=True)
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
        postmortem = services.get_postmortem_for(request.user, _parent_of(item_id))
        item = next(i for i in postmortem.action_item_list if i.id == item_id)
    if request.htmx:
        context = {
            "item": item,
            "pm": postmortem,
            "status_error": error,
            "item_status_choices": ItemStatusForm.base_fields["status"].choices,
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
    incidents = Incident.objects.order_by("-created_at")
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/incident_list.html", {"page": page})


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
    if request.method == "POST" and refusal_reason is not None:
        raise PermissionDenied(refusal_reason)
    if request.method == "POST" and form.is_valid():
        try:
            incident = incident_services.update_incident(
                incident_id,
                form.data_for_service(),
                by=request.user,
                if_match=form.cleaned_data["version"],
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
    postmortems = (
        PostMortem.objects.visible_to(request.user)
        .filter(incident=incident)
        .select_related("created_by")
        .order_by("-created_at")
    )
    context = {
        "form": form,
        "incident": incident,
        "postmortems": postmortems,
        "conflict": conflict,
        "may_save": refusal_reason is None,
        "refusal_reason": refusal_reason,
    }
    return render(request, "web/incident_form.html", context)
