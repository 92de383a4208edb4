"""The filters every insight takes, as the API and the web page read them."""

from datetime import date
from typing import Annotated

from pydantic import Field, model_validator

from hindsight.incidents.models import IncidentType, Severity
from hindsight.insights import figures
from hindsight.lib.schema import IsoDate, QueryFilters


class InsightFilters(QueryFilters):
    start: Annotated[date | None, IsoDate] = Field(
        None, alias="from", description="First day (UTC, inclusive) of the incidents' start"
    )
    end: Annotated[date | None, IsoDate] = Field(
        None, alias="to", description="Last day (UTC, inclusive)"
    )
    service: str | None = Field(None, max_length=100)
    severity: Severity | None = None
    tag: str | None = Field(None, max_length=100)
    type: IncidentType | None = None
    format: str = Field("json", pattern="^(json|csv)$", description="json (default) or csv")

    @model_validator(mode="after")
    def ordered(self):
        if self.start and self.end and self.end < self.start:
            raise ValueError("`to` is before `from`")
        return self

    def figures_filters(self) -> figures.Filters:
        return figures.Filters(
            start=self.start,
            end=self.end,
            service=self.service or None,
            severity=self.severity,
            tag=self.tag or None,
            type=self.type,
        )
