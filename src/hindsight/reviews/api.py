"""Review of a post-mortem, mounted under /api/postmortems/{id}/."""

from ninja import Router
from ninja import Status as HttpStatus

from hindsight.reviews import services
from hindsight.reviews.schemas import (
    CommentIn,
    CommentList,
    CommentOut,
    CommentResolve,
    ReviewersIn,
    ReviewIn,
    ReviewOut,
    ReviewState,
)

router = Router(tags=["review"])


@router.get(
    "/{postmortem_id}/comments",
    response=CommentList,
    by_alias=True,
    summary="Comments on a post-mortem, oldest first",
)
def list_comments(request, postmortem_id: str):
    rows = services.comments(request.auth, postmortem_id)
    return {"items": rows, "total": len(rows)}


@router.post(
    "/{postmortem_id}/comments",
    response={201: CommentOut},
    by_alias=True,
    summary="Comment while the post-mortem is IN_REVIEW (optionally on one section, or as a reply)",
)
def add_comment(request, postmortem_id: str, payload: CommentIn):
    comment = services.add_comment(
        postmortem_id,
        body=payload.body,
        section=payload.section,
        parent_id=payload.parent_id,
        by=request.auth,
    )
    return HttpStatus(201, comment)


@router.patch(
    "/{postmortem_id}/comments/{comment_id}",
    response=CommentOut,
    by_alias=True,
    summary="Resolve a comment thread, or reopen it (its author, the report's authors, admins)",
)
def resolve_comment(request, postmortem_id: str, comment_id: int, payload: CommentResolve):
    return services.set_resolved(
        postmortem_id, comment_id, resolved=payload.resolved, by=request.auth
    )


@router.get(
    "/{postmortem_id}/reviews",
    response=ReviewState,
    by_alias=True,
    summary="Requested reviewers, decisions and the approvals publishing needs",
)
def review_state(request, postmortem_id: str):
    return services.review_state(request.auth, postmortem_id)


@router.post(
    "/{postmortem_id}/reviewers",
    response=ReviewState,
    by_alias=True,
    summary="Ask team members to review (user names or emails)",
)
def request_reviewers(request, postmortem_id: str, payload: ReviewersIn):
    services.request_reviewers(postmortem_id, payload.reviewers, by=request.auth)
    return services.review_state(request.auth, postmortem_id)


@router.post(
    "/{postmortem_id}/reviews",
    response={201: ReviewOut},
    by_alias=True,
    summary="Approve or request changes (not on your own post-mortem)",
)
def submit_review(request, postmortem_id: str, payload: ReviewIn):
    review = services.submit_review(
        postmortem_id, decision=payload.decision, comment=payload.comment, by=request.auth
    )
    return HttpStatus(201, review)
