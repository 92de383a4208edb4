from django.contrib.auth import views as auth_views
from django.urls import path

from hindsight.web import followthrough, insights, throttle, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login", throttle.answer_429_when_throttled(views.SignInView.as_view()), name="login"),
    path("logout", auth_views.LogoutView.as_view(next_page="/login"), name="logout"),
    path("account/password", views.PasswordView.as_view(), name="password"),
    path("account/tokens", views.tokens, name="tokens"),
    path("account/tokens/<int:token_id>/revoke", views.token_revoke, name="token_revoke"),
    path("postmortems", views.postmortem_list, name="list"),
    path("postmortems/new", views.postmortem_create, name="create"),
    path("postmortems/preview", views.preview, name="preview"),
    path("postmortems/<str:pm_id>", views.report, name="report"),
    path("postmortems/<str:pm_id>/edit", views.edit, name="edit"),
    path("postmortems/<str:pm_id>/history", followthrough.postmortem_history, name="history"),
    path("postmortems/<str:pm_id>/related", views.related_panel, name="related"),
    path("postmortems/<str:pm_id>/comments", followthrough.comment_add, name="comment_add"),
    path(
        "postmortems/<str:pm_id>/comments/<int:comment_id>/resolve",
        followthrough.comment_resolve,
        name="comment_resolve",
    ),
    path(
        "postmortems/<str:pm_id>/reviewers",
        followthrough.reviewers_request,
        name="reviewers_request",
    ),
    path("postmortems/<str:pm_id>/reviews", followthrough.review_submit, name="review_submit"),
    path("postmortems/<str:pm_id>/status", views.move, name="move"),
    path("postmortems/<str:pm_id>/delete", views.delete, name="delete"),
    path("postmortems/<str:pm_id>/timeline", views.event_add, name="event_add"),
    path("postmortems/<str:pm_id>/timeline/<str:event_id>", views.event_edit, name="event_edit"),
    path(
        "postmortems/<str:pm_id>/timeline/<str:event_id>/confirm",
        views.event_confirm,
        name="event_confirm",
    ),
    path(
        "postmortems/<str:pm_id>/timeline/<str:event_id>/delete",
        views.event_delete,
        name="event_delete",
    ),
    path(
        "postmortems/<str:pm_id>/timeline/<str:event_id>/move", views.event_move, name="event_move"
    ),
    path("postmortems/<str:pm_id>/action-items", views.item_add, name="item_add"),
    path("action-items", followthrough.action_items, name="action_items"),
    path("action-items/bulk", followthrough.action_items_bulk, name="action_items_bulk"),
    path("action-items/<str:item_id>", views.item_edit, name="item_edit"),
    path(
        "action-items/<str:item_id>/follow-through",
        followthrough.item_follow_through,
        name="item_follow_through",
    ),
    path("action-items/<str:item_id>/status", views.item_status, name="item_status"),
    path("action-items/<str:item_id>/confirm", views.item_confirm, name="item_confirm"),
    path("action-items/<str:item_id>/delete", views.item_delete, name="item_delete"),
    path("insights", insights.insights, name="insights"),
    path("insights/<str:name>.svg", insights.insight_chart, name="insight_chart"),
    path("incidents", views.incident_list, name="incidents"),
    path("incidents/new", views.incident_create, name="incident_create"),
    path("incidents/<str:incident_id>", views.incident_detail, name="incident"),
    path("incidents/<str:incident_id>/edit", views.incident_edit, name="incident_edit"),
]
