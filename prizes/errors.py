"""Errors of the prizes app: each a refusal the service API answers with its status and a stable reason."""


class PrizeError(Exception):
    """Base of the prizes' errors."""


class UnknownAward(PrizeError, LookupError):
    """No award has this id (HTTP 404)."""


class SettleRefused(PrizeError):
    """The settle is understood but refused (HTTP 409); `reason` is a stable code for the caller.

    `already_settled` (settled with another reference), `reference_used` (another award has this
    reference), `void` (its run was corrected).
    """

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)
