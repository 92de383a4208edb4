"""/api/factor-categories: the contributing-factor categories (see factors.py)."""

from typing import Annotated

from ninja import Router
from ninja import Status as HttpStatus
from pydantic import Field

from hindsight.lib.schema import Flag, In, Out
from hindsight.postmortems import factors

router = Router(tags=["factor categories"])

Name = Annotated[str, Field(min_length=1, max_length=100)]


class CategoryOut(Out):
    slug: str
    name: str
    retired: bool


class CategoryCreate(In):
    slug: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,49}$")] = Field(
        description="Lower-case letters, digits and hyphens; never changes"
    )
    name: Name


class CategoryPatch(In):
    name: Name | None = None
    retired: Flag | None = Field(
        None, description="A retired category stays on the reports that have it"
    )


@router.get("", response=list[CategoryOut], summary="The contributing-factor categories")
def list_categories(request):
    return factors.categories()


@router.post("", response={201: CategoryOut}, summary="Add a category (admins)")
def create_category(request, payload: CategoryCreate):
    return HttpStatus(201, factors.create_category(**payload.given(), by=request.auth))


@router.patch("/{category}", response=CategoryOut, summary="Rename or retire a category (admins)")
def update_category(request, category: str, payload: CategoryPatch):
    return factors.update_category(category, payload.given(), by=request.auth)
