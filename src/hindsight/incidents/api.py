from django.http import HttpResponse
from ninja import Query, Router
from ninja import Status as HttpStatus
from pydantic import Field

from hindsight.incidents import services
from hindsight.incidents.models import Incident
from hindsight.incidents.schemas import IncidentCreate, IncidentList, IncidentOut, IncidentPatch
from hindsight.lib.http import CONDITIONAL_WRITE, etag, if_match
from hindsight.lib.pagination import keyset_page
from hindsight.lib.schema import QueryFilters

router = Router(tags=["incidents"])


class IncidentFilters(QueryFilters):
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = None
    severity: str | None = None


@router.get("", response=IncidentList, by_alias=True, summary="List incidents, newest first")
def list_incidents(request, filters: Query[IncidentFilters]):
    queryset = Incident.objects.all()
    if filters.severity:
        queryset = queryset.filter(severity=filters.severity)
    total = queryset.count()
    rows, next_cursor = keyset_page(
        queryset, field="created_at", descending=True, limit=filters.limit, cursor=filters.cursor
    )
    return {"items": rows, "total": total, "next_cursor": next_cursor}


@router.post("", response={201: IncidentOut}, by_alias=True, summary="Create an incident")
def create_incident(request, payload: IncidentCreate, response: HttpResponse):
    incident = services.create_incident(payload.given(), by=request.auth)
    response["ETag"] = etag(incident.version)
    response["Location"] = f"/api/incidents/{incident.id}"
    return HttpStatus(201, incident)


@router.get("/{incident_id}", response=IncidentOut, by_alias=True, summary="Get one incident")
def get_incident(request, incident_id: str, response: HttpResponse):
    incident = services.get_incident(incident_id)
    response["ETag"] = etag(incident.version)
    return incident


@router.patch(
    "/{incident_id}",
    response=IncidentOut,
    by_alias=True,
    summary="Change an incident",
    openapi_extra=CONDITIONAL_WRITE,
)
def patch_incident(request, incident_id: str, payload: IncidentPatch, response: HttpResponse):
    incident = services.update_incident(
        incident_id, payload.changes(), by=request.auth, if_match=if_match(request)
    )
    response["ETag"] = etag(incident.version)
    return incident
