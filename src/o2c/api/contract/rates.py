"""Exchange rates as the OpenAPI documents them: a day's document with its
versions (`PUT`/`GET /v1/fx-rates/{date}`), and the documents recorded or the
rates in force on a day (`GET /v1/fx-rates`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from o2c.api.contract.figures import Answer, CurrencyCode, Cursor, Moment, Rate

# Keyed by ISO 4217 code, and nothing else.
Quotes = Annotated[dict[CurrencyCode, Rate], Field(json_schema_extra={"additionalProperties": False})]


class RatesVersion(Answer):
    version: int = Field(description="1 for the day's first document, then one more per PUT")
    base: CurrencyCode
    rates: Quotes = Field(description="units of each quote currency for one unit of `base`, as written")
    recorded_at: Moment


class DailyRates(RatesVersion):
    """The day's document: its latest version, and every version."""

    rate_date: date
    versions: list[RatesVersion] = Field(description="every version, oldest first")


class RecordedRates(DailyRates):
    position: int = Field(description="in the ledger's log: send it as `X-O2C-After` to read views converted at it")


class RatesDocument(RatesVersion):
    rate_date: date


class RateInForce(Answer):
    base: CurrencyCode
    quote: CurrencyCode
    rate: Rate
    rate_date: date = Field(description="of the latest document on or before `as_of` holding the pair")


class RatesList(Answer):
    as_of: date | None
    documents: list[RatesDocument] = Field(description="the latest version of each day, newest first")
    in_force: list[RateInForce] | None = Field(description="with `as_of`: the rate of each pair in force")
    next_cursor: Cursor
