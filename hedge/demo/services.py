"""Demo data: a season around today and a leaderboard for every time window.

Everything is get-or-create by its natural key, so running it again reuses what exists.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from hedge.challenges.etl import EtlRunResult, run_challenge_etl
from hedge.challenges.extractors import DEMO_RAMP_DAYS, DemoExtractor
from hedge.challenges.models import Challenge, ChallengeProgress
from leaderboards.models import LeaderboardDef, RankMode, TimeWindow
from seasons.models import Season, SeasonChallengeWeight

DEMO_SEASON_ID = "DEMO-S1"
DEMO_SEASON_DAYS = 90
# The demo season started this many days ago; the demo history starts a day before it.
DEMO_SEASON_AGE_DAYS = 7
DEMO_HISTORY_DAYS = DEMO_SEASON_AGE_DAYS + 1
DEMO_WEIGHTS = {"hero_riser": 1, "hunters_triumph": 2, "lp_depth": 3, "pvp_wins": 1}

DEMO_LEADERBOARDS = (
    {
        "key": "lb_pvp_daily_wins",
        "name": "PvP wins today",
        "description": "Most PvP wins; ties broken by the longest win streak.",
        "category_key": "pvp_competition",
        "metric_source": "onchain_pvp",
        "metric_key": "wins",
        "fallback_metric_key": "best_streak",
        "time_window": TimeWindow.DAILY,
    },
    {
        "key": "lb_bounties_weekly",
        "name": "Hunter's Triumph this week",
        "description": "Most bounties claimed. Competition ranking: 1, 1, 3.",
        "category_key": "pvp_competition",
        "metric_source": "onchain_pvp",
        "metric_key": "bounties_claimed",
        "time_window": TimeWindow.WEEKLY,
        "rank_mode": RankMode.COMPETITION,
    },
    {
        "key": "lb_lp_depth_monthly",
        "name": "LP Depth this month",
        "description": "Most liquidity provided, in whole US dollars.",
        "category_key": "liquidity",
        "metric_source": "onchain_liquidity",
        "metric_key": "lp_value_usd",
        "time_window": TimeWindow.MONTHLY,
    },
    {
        "key": "lb_hero_riser_season",
        "name": "Hero Riser this season",
        "description": "Most hero levels gained; ties broken by heroes owned.",
        "category_key": "hero_progression",
        "metric_source": "onchain_heroes",
        "metric_key": "levels_gained",
        "fallback_metric_key": "heroes_owned",
        "time_window": TimeWindow.SEASON,
    },
    {
        "key": "lb_challenge_pass_season",
        "name": "Challenge Pass points this season",
        "description": "Most season points; ties go to the cluster that reached its points first.",
        "category_key": "season",
        "metric_source": "season",
        "metric_key": "points",
        "time_window": TimeWindow.SEASON,
    },
    {
        "key": "lb_pvp_all_time_wins",
        "name": "PvP wins, all time",
        "description": "Every cluster with PvP progress, ranked by wins.",
        "category_key": "pvp_competition",
        "metric_source": "onchain_pvp",
        "metric_key": "wins",
        "fallback_metric_key": "best_streak",
        "time_window": TimeWindow.ALL_TIME,
        "max_entries": 0,
    },
)


@dataclass
class SeasonOutcome:
    season: Season
    created: bool
    activated: bool
    note: str = ""


@transaction.atomic
def ensure_demo_season(*, now: datetime.datetime | None = None) -> SeasonOutcome:
    """The demo season, running around `now`, active unless another season already is."""
    now = now or timezone.now()
    starts_at = (now - datetime.timedelta(days=DEMO_SEASON_AGE_DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)
    season, created = Season.objects.get_or_create(
        id=DEMO_SEASON_ID,
        defaults={
            "name": "Demo Season 1",
            "starts_at": starts_at,
            "ends_at": starts_at + datetime.timedelta(days=DEMO_SEASON_DAYS),
        },
    )
    if not season.starts_at <= now < season.ends_at:
        # A demo database reopened after the season ended: move the season around today again.
        season.starts_at, season.ends_at = starts_at, starts_at + datetime.timedelta(days=DEMO_SEASON_DAYS)
        season.save(update_fields=["starts_at", "ends_at", "updated_at"])
    for code, weight in DEMO_WEIGHTS.items():
        if Challenge.objects.filter(code=code).exists():
            SeasonChallengeWeight.objects.get_or_create(season=season, challenge_id=code, defaults={"weight": weight})
    outcome = SeasonOutcome(season=season, created=created, activated=False)
    if not season.is_active:
        other = Season.objects.filter(is_active=True).exclude(pk=season.pk).first()
        if other is None:
            season.is_active = True
            season.save(update_fields=["is_active", "updated_at"])
            outcome.activated = True
        else:
            outcome.note = f"season {other.id} is already active, so the demo season stays inactive"
    return outcome


def run_demo_etl(*, clusters: int, now: datetime.datetime | None = None, on_outcome=None) -> list[EtlRunResult]:
    """The challenge ETL with the demo extractors; on an empty database, first the days before `now` too.

    Replaying DEMO_HISTORY_DAYS days (one run a day, values growing day by day) gives the demo a
    history, so the day, week, month and season boards rank what was gained in them. Later runs
    only add today's values (a replay would write the past again, after the present).
    """
    now = now or timezone.now()
    stamps = [(None, now)]
    if not ChallengeProgress.objects.exists():
        stamps = [
            (DEMO_RAMP_DAYS - back, now - datetime.timedelta(days=back)) for back in range(DEMO_HISTORY_DAYS, 0, -1)
        ]
        stamps.append((None, now))
    sources = Challenge.objects.values_list("metric_source", flat=True).distinct()
    runs = []
    for day, at in stamps:
        extractor = DemoExtractor(clusters=clusters, day=day)
        runs.append(run_challenge_etl(extractors=dict.fromkeys(sources, extractor), now=at, on_outcome=on_outcome))
    return runs


def ensure_demo_leaderboards() -> tuple[list[str], list[str]]:
    """A definition for every time window; returns (created keys, existing keys)."""
    created, existing = [], []
    for spec in DEMO_LEADERBOARDS:
        if LeaderboardDef.objects.filter(key=spec["key"]).exists():
            existing.append(spec["key"])
            continue
        definition = LeaderboardDef(**spec)
        definition.full_clean()
        definition.save()
        created.append(spec["key"])
    return created, existing


def ensure_demo_superuser(username: str = "admin") -> str | None:
    """Create a staff superuser with a random password; returns it, or None if the user exists.

    The password is shown once and never stored in clear; reset it with `manage.py changepassword`.
    """
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        return None
    password = secrets.token_urlsafe(12)
    User.objects.create_superuser(username=username, email="", password=password)
    return password
