"""Contributing-factor categories, and each report's factors as rows of their own.

The categories are a list the admins keep (GET /api/factor-categories for everyone; POST
and PATCH for admins, and the Django admin). A factor names a category by its slug. The
write path checks the slugs (unknown ones are refused; a retired one may stay where it was
but is not given to a new factor) and rewrites the report's Factor rows whenever its
contributing factors change, so the insights count them in SQL.
"""

from hindsight.lib.compiled import insert
from hindsight.lib.errors import Conflict, Invalid, NotFound, PermissionDenied
from hindsight.postmortems.models import Factor, FactorCategory, PostMortem


def categories() -> list[FactorCategory]:
    return list(FactorCategory.objects.all())


def _admin_only(user) -> None:
    if not user.is_admin:
        raise PermissionDenied("Only admins change the factor categories.")


def create_category(*, slug: str, name: str, by) -> FactorCategory:
    _admin_only(by)
    if FactorCategory.objects.filter(pk=slug).exists():
        raise Conflict(f"A factor category {slug} already exists.", fields={"slug": slug})
    last = FactorCategory.objects.order_by("-position").values_list("position", flat=True)
    position = (last.first() or 0) + 1
    return FactorCategory.objects.create(slug=slug, name=name, position=position)


def update_category(slug: str, changes: dict, *, by) -> FactorCategory:
    """Rename (`name`) or retire (`retired`) a category; its slug never changes."""
    _admin_only(by)
    category = FactorCategory.objects.filter(pk=slug).first()
    if category is None:
        raise NotFound(f"There is no factor category {slug}.", fields={"slug": slug})
    for field in ("name", "retired"):
        if changes.get(field) is not None:
            setattr(category, field, changes[field])
    category.save()
    return category


def check(before: list[dict], after: list[dict]) -> None:
    """Refuse a factor's category that does not exist, or one retired that the report did
    not already use (a retired category stays where it was)."""
    wanted = {f.get("category") for f in after if f.get("category")}
    if not wanted:
        return
    known = dict(FactorCategory.objects.filter(pk__in=wanted).values_list("slug", "retired"))
    kept = {f.get("category") for f in before}
    for n, factor in enumerate(after):
        slug = factor.get("category")
        if not slug:
            continue
        where = f"contributingFactors[{n}].category"
        if slug not in known:
            raise Invalid(
                f"{where}: there is no factor category {slug!r}"
                " (GET /api/factor-categories lists them).",
                fields={where: f"unknown category {slug}"},
            )
        if known[slug] and slug not in kept:
            raise Invalid(
                f"{where}: the factor category {slug!r} is retired; choose another.",
                fields={where: f"retired category {slug}"},
            )


def write_rows(postmortem: PostMortem, factors: list[dict], *, new: bool = False) -> None:
    """The report's Factor rows, as its contributing factors now say."""
    if not new:
        Factor.objects.filter(postmortem=postmortem).delete()
    rows = [
        Factor(
            postmortem=postmortem,
            position=position,
            text=factor.get("factor") or "",
            category_id=factor.get("category") or None,
        )
        for position, factor in enumerate(factors or [])
    ]
    insert(rows)
