"""One factory per model. Build data with these; never with raw SQL or fixtures."""

import datetime
import hashlib

import factory
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from rest_framework_api_key.models import APIKey

from events.signing import new_secret
from hedge.challenges.models import (
    Challenge,
    ChallengeCategory,
    ChallengeProgress,
    ChallengeProgressHistory,
    ChallengeTier,
)
from hedge.challenges.services.upsert import upsert_progress
from seasons.models import (
    PremiumGrant,
    RewardClaim,
    Season,
    SeasonChallengeWeight,
    SeasonLevel,
    SeasonProgress,
    SeasonReward,
)

# --- challenges ---------------------------------------------------------------------------------


class ChallengeCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChallengeCategory
        django_get_or_create = ["key"]

    key = factory.Sequence(lambda n: f"category_{n}")
    name = factory.LazyAttribute(lambda o: o.key.replace("_", " ").title())


class ChallengeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Challenge
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"challenge_{n}")
    category = factory.SubFactory(ChallengeCategoryFactory)
    name = factory.LazyAttribute(lambda o: o.code.replace("_", " ").title())
    metric_source = "test_source"
    metric_key = factory.LazyAttribute(lambda o: o.code)
    is_active = True


class ChallengeTierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChallengeTier

    challenge = factory.SubFactory(ChallengeFactory)
    tier = factory.Sequence(lambda n: n + 1)
    threshold = factory.LazyAttribute(lambda o: o.tier * 10)


class ChallengeProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChallengeProgress

    cluster_id = factory.Sequence(lambda n: f"cluster-{n:07d}")
    challenge = factory.SubFactory(ChallengeFactory)
    value = 0
    current_tier = 0
    updated_at = factory.LazyFunction(timezone.now)


class ChallengeProgressHistoryFactory(factory.django.DjangoModelFactory):
    """A history row written directly (the ETL writes real ones: see given_history)."""

    class Meta:
        model = ChallengeProgressHistory

    cluster_id = factory.Sequence(lambda n: f"cluster-{n:07d}")
    challenge = factory.SubFactory(ChallengeFactory)
    value = 0
    recorded_at = factory.LazyFunction(timezone.now)


def given_progress(challenge, values: dict[str, int]) -> None:
    """Each cluster's current value in `challenge` (no history: see given_history)."""
    for cluster_id, value in values.items():
        ChallengeProgressFactory(challenge=challenge, cluster_id=cluster_id, value=value)


# --- seasons ------------------------------------------------------------------------------------


class SeasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Season

    id = factory.Sequence(lambda n: f"SEASON-{n}")
    name = factory.LazyAttribute(lambda o: f"Season {o.id}")
    starts_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(days=30))
    is_active = False
    points_per_level = 1000
    # The v1 formula, which most season tests are written against; GAINS tests ask for it.
    scoring = "LIFETIME"


class SeasonChallengeWeightFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeasonChallengeWeight

    season = factory.SubFactory(SeasonFactory)
    challenge = factory.SubFactory(ChallengeFactory)
    weight = 1


class SeasonProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeasonProgress

    season = factory.SubFactory(SeasonFactory)
    cluster_id = factory.Sequence(lambda n: f"cluster-{n:07d}")
    points = 0
    level = 0
    updated_at = factory.LazyFunction(timezone.now)


def given_points(season, points: dict[str, int], **fields) -> None:
    """Each cluster's stored points in `season`; `fields` (level, points_reached_at, ...) are the same for each."""
    for cluster_id, value in points.items():
        SeasonProgressFactory(season=season, cluster_id=cluster_id, points=value, **fields)


class SeasonLevelFactory(factory.django.DjangoModelFactory):
    """One level of a season's curve, saved on its own (given_curve writes a whole curve at once)."""

    class Meta:
        model = SeasonLevel

    season = factory.SubFactory(SeasonFactory)
    level = 1
    points_required = factory.LazyAttribute(lambda o: o.level * 100)


def given_curve(season, thresholds) -> None:
    """The season's level curve: level n needs thresholds[n - 1] points."""
    SeasonLevel.objects.bulk_create(
        SeasonLevel(season=season, level=level, points_required=points)
        for level, points in enumerate(thresholds, start=1)
    )


class SeasonRewardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeasonReward

    season = factory.SubFactory(SeasonFactory)
    track = "FREE"
    level = 1
    name = factory.Sequence(lambda n: f"Reward {n}")
    kind = "badge"
    quantity = 1
    data = factory.LazyFunction(dict)


class APIKeyFactory(factory.django.DjangoModelFactory):
    """A service API key; the usable key (shown once in the admin) is `api_key.plain_key`."""

    class Meta:
        model = APIKey

    name = factory.Sequence(lambda n: f"game-backend-{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        api_key, plain_key = model_class.objects.create_key(**kwargs)
        api_key.plain_key = plain_key
        return api_key


class PremiumGrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PremiumGrant

    season = factory.SubFactory(SeasonFactory)
    cluster_id = factory.Sequence(lambda n: f"cluster-{n:07d}")
    reference = factory.Sequence(lambda n: f"payment-{n}")
    source = "stripe"
    granted_at = factory.LazyFunction(timezone.now)
    api_key = factory.SubFactory(APIKeyFactory)


class RewardClaimFactory(factory.django.DjangoModelFactory):
    """A claim written directly (the service decides real ones)."""

    class Meta:
        model = RewardClaim

    season = factory.SubFactory(SeasonFactory)
    cluster_id = factory.Sequence(lambda n: f"cluster-{n:07d}")
    track = "FREE"
    level = 1
    claimed_at = factory.LazyFunction(timezone.now)
    level_at_claim = factory.LazyAttribute(lambda o: o.level)
    points_at_claim = 0
    api_key = factory.SubFactory(APIKeyFactory)


# --- leaderboards -------------------------------------------------------------------------------
# Models named by label so this section needs no import of its own.


class LeaderboardDefFactory(factory.django.DjangoModelFactory):
    """A definition ranking by `challenge` (a new one unless given), tie-broken by `fallback` if given."""

    class Meta:
        model = "leaderboards.LeaderboardDef"

    class Params:
        challenge = factory.SubFactory(ChallengeFactory)
        fallback = None
        # A board of the active season's points (no challenge): LeaderboardDefFactory(season_points=True).
        season_points = factory.Trait(
            category_key="season", metric_source="season", metric_key="points", time_window="SEASON"
        )

    key = factory.Sequence(lambda n: f"lb_{n}")
    name = factory.LazyAttribute(lambda o: f"Leaderboard {o.key}")
    description = factory.LazyAttribute(lambda o: f"Ranks clusters by {o.metric_key}.")
    category_key = factory.LazyAttribute(lambda o: o.challenge.category.key)
    metric_source = factory.LazyAttribute(lambda o: o.challenge.metric_source)
    metric_key = factory.LazyAttribute(lambda o: o.challenge.metric_key)
    fallback_metric_key = factory.LazyAttribute(lambda o: o.fallback.metric_key if o.fallback else None)
    time_window = "ALL_TIME"
    is_active = True
    max_entries = 1000
    rank_mode = "DENSE"


class LeaderboardRunFactory(factory.django.DjangoModelFactory):
    """A run written directly (no ranking); entries come from LeaderboardEntryFactory."""

    class Meta:
        model = "leaderboards.LeaderboardRun"

    leaderboard = factory.SubFactory(LeaderboardDefFactory)
    period_start = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    period_end = factory.LazyAttribute(lambda o: o.period_start + datetime.timedelta(days=1))
    status = "COMPLETE"
    challenge = factory.LazyAttribute(
        lambda o: Challenge.objects.get(
            category__key=o.leaderboard.category_key,
            metric_source=o.leaderboard.metric_source,
            metric_key=o.leaderboard.metric_key,
        )
    )
    finished_at = factory.LazyAttribute(lambda o: timezone.now() if o.status in ("COMPLETE", "FAILED") else None)
    row_count = 0
    ranked_total = factory.LazyAttribute(lambda o: o.row_count)
    # A published run has a checksum (the database checks it); this one is of no entries, which
    # entries added later by LeaderboardEntryFactory do not update.
    checksum = factory.LazyAttribute(
        lambda o: hashlib.sha256(b"").hexdigest() if o.status in ("COMPLETE", "SUPERSEDED") else ""
    )


class LeaderboardEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "leaderboards.LeaderboardEntry"

    run = factory.SubFactory(LeaderboardRunFactory)
    cluster_id = factory.Sequence(lambda n: f"cluster-{n:07d}")
    position = factory.Sequence(lambda n: n + 1)
    rank = factory.LazyAttribute(lambda o: o.position)
    score = 0
    tiebreaker = 0


class ExclusionFactory(factory.django.DjangoModelFactory):
    """A cluster kept off `leaderboard` (None: off every leaderboard and the season pass), from now on."""

    class Meta:
        model = "leaderboards.Exclusion"

    cluster_id = factory.Sequence(lambda n: f"cluster-{n:07d}")
    leaderboard = None
    reason = "Test exclusion."
    created_by = factory.LazyFunction(
        lambda: get_user_model().objects.get_or_create(username="staff", defaults={"is_staff": True})[0]
    )


def given_history(challenge, values: dict[str, int], *, at) -> None:
    """Each cluster's value in `challenge` as the ETL writes it at `at`: progress, and history when it changed."""
    with transaction.atomic():
        upsert_progress(((cluster_id, challenge.pk, value) for cluster_id, value in values.items()), now=at)


def given_gains(challenge, gains: dict[str, int], *, period: dict) -> None:
    """What each cluster gained in `challenge` during `period` (history before it and inside it)."""
    day = datetime.timedelta(days=1)
    given_history(challenge, dict.fromkeys(gains, 1000), at=period["period_start"] - day)
    given_history(
        challenge, {cluster: 1000 + gain for cluster, gain in gains.items()}, at=period["period_start"] + day / 2
    )


# --- staff and login records (auth, django-axes) -----------------------------------------------------


class StaffUserFactory(factory.django.DjangoModelFactory):
    """A staff user with exactly the `permissions` given (Permission rows), no superuser powers."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff-{n}")
    is_staff = True

    @factory.post_generation
    def permissions(self, create, extracted, **kwargs):
        if create and extracted:
            self.user_permissions.set(extracted)


STAFF_PASSWORD = "correct horse battery staple"


class SuperuserFactory(StaffUserFactory):
    """A superuser who logs in with STAFF_PASSWORD (the browser tests type it)."""

    username = "staff"
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    is_superuser = True
    password = factory.django.Password(STAFF_PASSWORD)


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "auth.Group"

    name = factory.Sequence(lambda n: f"group-{n}")


class _LoginRecordFactory(factory.django.DjangoModelFactory):
    user_agent = "pytest"
    ip_address = "192.0.2.1"
    username = "admin"
    http_accept = "*/*"
    path_info = "/admin/login/"


class AccessAttemptFactory(_LoginRecordFactory):
    """Failed logins django-axes counts (`attempt_time` is set on save: move it with .update() to age one)."""

    class Meta:
        model = "axes.AccessAttempt"

    get_data = ""
    post_data = ""
    failures_since_start = 1


class AccessLogFactory(_LoginRecordFactory):
    class Meta:
        model = "axes.AccessLog"


class AccessFailureLogFactory(_LoginRecordFactory):
    class Meta:
        model = "axes.AccessFailureLog"


# --- events -------------------------------------------------------------------------------------


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    """An active endpoint of every event type, standard format, with a fresh secret; `url` is usually a receiver's."""

    class Meta:
        model = "events.WebhookEndpoint"

    name = factory.Sequence(lambda n: f"endpoint {n}")
    url = "https://hooks.example.com/hedge"
    event_types = ""
    format = "standard"
    is_active = True
    secret = factory.LazyFunction(new_secret)


# --- prizes -------------------------------------------------------------------------------------


class LeaderboardPrizeFactory(factory.django.DjangoModelFactory):
    """A prize row of `leaderboard` (or of `league_tier`): ranks 1..1 unless given a range or `top_percent`."""

    class Meta:
        model = "prizes.LeaderboardPrize"

    leaderboard = factory.Maybe("league_tier", None, factory.SubFactory(LeaderboardDefFactory))
    league_tier = None  # a league tier's row instead of a board's (then no leaderboard)
    rank_from = factory.LazyAttribute(lambda o: None if o.top_percent is not None else 1)
    rank_to = factory.LazyAttribute(lambda o: None if o.top_percent is not None else o.rank_from)
    top_percent = None
    name = factory.Sequence(lambda n: f"Prize {n}")
    kind = "token"
    quantity = 1
    data = factory.LazyFunction(dict)


class LeaderboardAwardFactory(factory.django.DjangoModelFactory):
    """An award written directly (the service writes real ones from a final run), PENDING."""

    class Meta:
        model = "prizes.LeaderboardAward"

    run_id = 1
    leaderboard_key = "lb_prizes"
    period_start = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    period_end = datetime.datetime(2025, 1, 2, tzinfo=datetime.UTC)
    cluster_id = factory.Sequence(lambda n: f"cluster-{n:07d}")
    position = factory.Sequence(lambda n: n + 1)
    rank = factory.LazyAttribute(lambda o: o.position)
    score = 10
    name = "Gold"
    kind = "token"
    quantity = 1
    data = factory.LazyFunction(dict)
    created_at = factory.LazyFunction(timezone.now)


# --- profiles ---------------------------------------------------------------------------------------


class ClusterProfileFactory(factory.django.DjangoModelFactory):
    """A cluster's display name and avatar, as the service API sets them (saved: it has a history row)."""

    class Meta:
        model = "profiles.ClusterProfile"

    cluster_id = factory.Sequence(lambda n: f"cluster-{n:07d}")
    display_name = factory.LazyAttribute(lambda o: f"Name of {o.cluster_id}")
    avatar_url = factory.LazyAttribute(lambda o: f"https://cdn.example.com/{o.cluster_id}.png")
    updated_at = factory.LazyFunction(timezone.now)
    api_key = factory.SubFactory(APIKeyFactory)


# --- leagues --------------------------------------------------------------------------------------


class LeagueFactory(factory.django.DjangoModelFactory):
    """A league over `leaderboard` (a new DAILY board unless given), cohorts of 30, no tiers yet."""

    class Meta:
        model = "leagues.League"

    key = factory.Sequence(lambda n: f"league_{n}")
    name = factory.LazyAttribute(lambda o: f"League {o.key}")
    leaderboard = factory.SubFactory(LeaderboardDefFactory, time_window="DAILY")
    cohort_size = 30
    idle_demotion = False


class LeagueTierFactory(factory.django.DjangoModelFactory):
    """A tier of `league`: level 1 unless given, no zones unless given (counts or percents)."""

    class Meta:
        model = "leagues.LeagueTier"

    league = factory.SubFactory(LeagueFactory)
    level = 1
    name = factory.LazyAttribute(lambda o: f"Tier {o.level}")
    promote_count = None
    promote_percent = None
    demote_count = None
    demote_percent = None


class LeaguePeriodFactory(factory.django.DjangoModelFactory):
    """A period of `league` in which it placed clusters (placement opens real ones), not closed."""

    class Meta:
        model = "leagues.LeaguePeriod"

    league = factory.SubFactory(LeagueFactory)
    period_start = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    period_end = factory.LazyAttribute(lambda o: o.period_start + datetime.timedelta(days=1))
    cohort_size = factory.LazyAttribute(lambda o: o.league.cohort_size)
    opened_at = factory.LazyFunction(timezone.now)


class LeagueMemberFactory(factory.django.DjangoModelFactory):
    """A cluster's seat written directly (placement writes real ones): level 1, cohort 1, seat 0 unless given."""

    class Meta:
        model = "leagues.LeagueMember"

    league = factory.SubFactory(LeagueFactory)
    period_start = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    cluster_id = factory.Sequence(lambda n: f"cluster-{n:07d}")
    level = 1
    cohort = 1
    slot = 0


class LeagueMoveFactory(factory.django.DjangoModelFactory):
    """A member's result written directly (a final run writes real ones): stayed at level 1 unless given."""

    class Meta:
        model = "leagues.LeagueMove"

    league = factory.SubFactory(LeagueFactory)
    period_start = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    cluster_id = factory.Sequence(lambda n: f"cluster-{n:07d}")
    level = 1
    cohort = 1
    rank = 1
    score = 0
    move = "STAY"
    next_level = factory.LazyAttribute(lambda o: o.level + {"PROMOTE": 1, "STAY": 0, "DEMOTE": -1}[o.move])


def given_tiers(league, zones: list[tuple[int, int]]) -> list:
    """Tiers 1..n of `league`, each (promote count, demote count) from `zones`, lowest first (saved, audited)."""
    return [
        LeagueTierFactory(league=league, level=level, promote_count=promote, demote_count=demote)
        for level, (promote, demote) in enumerate(zones, start=1)
    ]
