"""How figures are written in answers, as the OpenAPI states them: amounts as
decimal strings at their currency's minor unit, ratios and day figures to one
decimal, rates exact, dates ISO. The models here document bodies that the
routes write themselves (api/render.py): they are never used to serialize."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

# ASCII digits only: what render.amount writes (never an exponent, never a JSON number).
DECIMAL = r"^-?[0-9]+(\.[0-9]+)?$"

Amount = Annotated[
    str,
    Field(
        pattern=DECIMAL, description="an amount, a decimal string at its currency's minor unit", examples=["1200.00"]
    ),
]
OneDecimal = Annotated[
    str, Field(pattern=DECIMAL, description="days or a percentage, to one decimal", examples=["42.5"])
]
Rate = Annotated[
    str, Field(pattern=DECIMAL, description="a rate as applied, every digit, no exponent", examples=["1.0842"])
]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code", examples=["EUR"])]
# Moments are written with their offset (UTC): `2026-03-01T09:30:00+00:00`.
Moment = Annotated[datetime, Field(description="when, ISO 8601 with its offset")]
Cursor = Annotated[str | None, Field(description="opaque: pass it as `cursor` for the next page; null on the last")]


def _no_defaults(schema: dict[str, Any]) -> None:
    # An answer's optional field is left out, never filled in: a default would say otherwise.
    for field in schema.get("properties", {}).values():
        field.pop("default", None)


class Answer(BaseModel):
    """A body with exactly these fields: the OpenAPI says `additionalProperties: false`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, json_schema_extra=_no_defaults)


class AppliedRate(Answer):
    currency: CurrencyCode = Field(description="the currency converted from")
    rate: Rate = Field(description="1 unit of `currency` in the reporting currency, exact as applied")
    rate_date: date = Field(description="the date of the rate document it came from")


class Conversion(Answer):
    """Present when the answer converts into a reporting currency."""

    reporting_currency: CurrencyCode
    rates: list[AppliedRate] = Field(description="each rate used (none for the reporting currency itself)")


class InCurrency(Answer):
    """The answer's `currency` and `conversion` (api/portfolio_currencies.py `Currencies.body`)."""

    currency: CurrencyCode | None = Field(
        description="of the top-level figures: the one currency held, the reporting one, or null (mixed)"
    )
    conversion: Conversion | None = Field(description="the rates used; null when nothing was converted")
