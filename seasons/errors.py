"""The season engine's errors: what its services and selectors refuse, for the admin and the APIs to report."""


class SeasonEndedError(ValueError):
    """A season that has ended and was finalized is not recomputed again: its stored progress is final."""


class SeasonNotStartedError(ValueError):
    """A season that has not started has no progress to compute."""


class SeasonPointsFailed(Exception):
    """Some clusters' points could not be stored (recorded in season_progress_errors); the others were."""


class ProgressWithheld(Exception):
    """The cluster's season progress is not served (an exclusion); its stored points are kept."""


class ClaimRefused(Exception):
    """The request is understood but refused now (HTTP 409); `reason` is a stable code for the caller."""

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)


class UnknownLevel(LookupError):
    """The track has no reward at that level (HTTP 404)."""
