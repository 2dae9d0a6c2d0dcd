"""Receivers of leaderboards' signals (connected in PrizesConfig.ready())."""

from .services import award_final_run as _award_final_run


def award_final_run(sender, *, run, superseded, **kwargs) -> None:
    """leaderboards.signals.final_run_published: write the run's awards in its publishing transaction."""
    _award_final_run(run, superseded=superseded)
