"""The credit line: the limit granted (and the part insured), and the
agencies' ratings of the customer."""

from __future__ import annotations

from decimal import Decimal

from o2c.domain.account_books import AccountBooks
from o2c.domain.errors import Invalid
from o2c.domain.limits import check_score


class CreditLine(AccountBooks):
    def change_limit(
        self,
        event_id: str,
        credit_limit: Decimal,
        reason: str | None = None,
        insured_limit: Decimal | None = None,
    ) -> None:
        credit_limit = self.check_amount("data.credit_limit", credit_limit, allow_zero=True)
        if insured_limit is not None:
            insured_limit = self.check_amount("data.insured_limit", insured_limit, allow_zero=True)
        self._change_limit(event_id, credit_limit, reason, insured_limit)

    def _change_limit(
        self, event_id: str, credit_limit: Decimal, reason: str | None, insured_limit: Decimal | None
    ) -> None:
        self.credit_limit = credit_limit
        if insured_limit is not None:
            self.insured_limit = insured_limit

    def change_rating(self, event_id: str, agency: str, score: Decimal, rating: str | None = None) -> None:
        if not agency.strip():
            raise Invalid("data.agency", "must not be blank")
        check_score("data.score", score)
        self._change_rating(event_id, agency, score, rating)

    def _change_rating(self, event_id: str, agency: str, score: Decimal, rating: str | None) -> None:
        self.rating = {"agency": agency, "score": score, "rating": rating}
