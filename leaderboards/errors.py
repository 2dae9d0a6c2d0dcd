"""Errors of leaderboard generation. Each message is written for the person who ran it."""


class LeaderboardError(Exception):
    """Base class: generation was refused or failed."""


class UnknownLeaderboard(LeaderboardError):
    def __init__(self, key: str):
        self.key = key
        super().__init__(f"Unknown leaderboard {key!r}.")


class InactiveLeaderboard(LeaderboardError):
    def __init__(self, key: str):
        self.key = key
        super().__init__(f"Leaderboard {key!r} is inactive; activate it or force the run.")


class InvalidDefinition(LeaderboardError):
    """The definition no longer resolves to its challenges (e.g. the catalogue changed)."""


class InvalidPeriod(LeaderboardError):
    """The period cannot be derived (no active season) or the explicit one is malformed."""


class NoActiveSeason(InvalidPeriod):
    """A SEASON leaderboard has no period because no season is active: expected between seasons."""


class NoteRequired(LeaderboardError):
    """Replacing a published final run needs a note saying why (kept on the new run)."""

    def __init__(self, key: str, period):
        self.key = key
        super().__init__(
            f"Leaderboard {key!r} already has a final run of {period.start:%Y-%m-%d %H:%M} – "
            f"{period.end:%Y-%m-%d %H:%M} UTC; regenerating it needs a note saying why."
        )


class FinalInputsInFlight(LeaderboardError):
    """A final run's inputs are not final yet: a challenge ETL run or import was still writing (nothing was written)."""

    def __init__(self, key: str, error: Exception):
        self.key = key
        super().__init__(f"Leaderboard {key!r}: no final run yet: {error}. The next generation tries again.")


class GenerationFailed(LeaderboardError):
    """The run was recorded FAILED; the original error is chained as __cause__."""

    def __init__(self, run, error: BaseException):
        self.run = run
        super().__init__(f"Run {run.pk} of leaderboard {run.leaderboard_id!r} failed: {run.error}")
