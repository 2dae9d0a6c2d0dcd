"""The events app's receivers of the product's hooks: each writes one event in the transaction of the change.

The product apps never import events; their signals are documented where they are defined
(leaderboards.signals, seasons.signals, hedge.challenges.signals, prizes.signals and leagues.signals). A receiver that
raises rolls the change back, as the hooks document.
"""

from __future__ import annotations

from . import payloads
from .models import EventType
from .services import record_event


def on_final_run_published(sender, *, run, superseded=None, **kwargs) -> None:
    record_event(EventType.FINAL_PUBLISHED, payloads.final_published(run))
    if superseded is not None:
        record_event(EventType.FINAL_SUPERSEDED, payloads.final_superseded(run, superseded))


def on_run_failed(sender, *, run, **kwargs) -> None:
    record_event(EventType.RUN_FAILED, payloads.run_failed(run))


def on_season_finalized(sender, *, season, finalized_at, **kwargs) -> None:
    record_event(EventType.SEASON_FINALIZED, payloads.season_finalized(season, finalized_at=finalized_at))


def on_season_recompute_failed(sender, *, season, error, failed_clusters=None, **kwargs) -> None:
    data = payloads.season_recompute_failed(season, error=error, failed_clusters=failed_clusters)
    record_event(EventType.SEASON_RECOMPUTE_FAILED, data)


def on_etl_challenge_failed(sender, *, outcome, started_at, **kwargs) -> None:
    record_event(EventType.ETL_FAILED, payloads.etl_failed(outcome, started_at=started_at))


def on_etl_completed(sender, *, result, **kwargs) -> None:
    record_event(EventType.ETL_COMPLETED, payloads.etl_completed(result))


def on_reward_claimed(sender, *, claim, **kwargs) -> None:
    record_event(EventType.REWARD_CLAIMED, payloads.reward_claimed(claim))


def on_premium_granted(sender, *, grant, **kwargs) -> None:
    record_event(EventType.PREMIUM_GRANTED, payloads.premium_granted(grant))


def on_awards_created(sender, *, run, count, totals, **kwargs) -> None:
    record_event(EventType.AWARDS_CREATED, payloads.awards_created(run, count=count, totals=totals))


def on_award_settled(sender, *, award, api_key, **kwargs) -> None:
    record_event(EventType.AWARD_SETTLED, payloads.award_settled(award, api_key=api_key))


def on_league_period_closed(sender, *, league, period, counts, **kwargs) -> None:
    record_event(EventType.LEAGUE_PERIOD_CLOSED, payloads.league_period_closed(league, period, counts=counts))


def connect() -> None:
    """Subscribe to every hook (EventsConfig.ready). events is installed after the apps it listens to, so a
    final run's awards (prizes' receiver of the same signal) are written before its event counts them."""
    from hedge.challenges import signals as challenges
    from leaderboards import signals as leaderboards
    from leagues import signals as leagues
    from prizes import signals as prizes
    from seasons import signals as seasons

    leaderboards.final_run_published.connect(on_final_run_published, dispatch_uid="events.final_run_published")
    leaderboards.run_failed.connect(on_run_failed, dispatch_uid="events.run_failed")
    seasons.season_finalized.connect(on_season_finalized, dispatch_uid="events.season_finalized")
    seasons.recompute_failed.connect(on_season_recompute_failed, dispatch_uid="events.season_recompute_failed")
    seasons.reward_claimed.connect(on_reward_claimed, dispatch_uid="events.reward_claimed")
    seasons.premium_granted.connect(on_premium_granted, dispatch_uid="events.premium_granted")
    challenges.etl_challenge_failed.connect(on_etl_challenge_failed, dispatch_uid="events.etl_failed")
    challenges.etl_completed.connect(on_etl_completed, dispatch_uid="events.etl_completed")
    prizes.awards_created.connect(on_awards_created, dispatch_uid="events.awards_created")
    prizes.award_settled.connect(on_award_settled, dispatch_uid="events.award_settled")
    leagues.period_closed.connect(on_league_period_closed, dispatch_uid="events.league_period_closed")
