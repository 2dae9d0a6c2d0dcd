"""Receivers of leaderboards' signals (connected in LeaguesConfig.ready())."""

from . import services


def place_members(sender, *, run, **kwargs) -> None:
    """leaderboards.signals.run_published: place the run's new clusters in its period's cohorts, in its transaction."""
    services.place_run_members(run)


def close_period(sender, *, run, superseded, **kwargs) -> None:
    """leaderboards.signals.final_run_published: the period's moves, from its final run, in its publication."""
    services.close_period(run, superseded=superseded)
