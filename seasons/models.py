"""The Challenge Pass: seasons, the weight of each challenge in a season, and each cluster's points."""

import datetime

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from hedge.challenges.models import Challenge
from hedge.core.clusters import CLUSTER_ID_MAX_LENGTH

season_id_validator = RegexValidator(r"^[A-Za-z0-9_-]+$", "Use letters, digits, '-' and '_' only (e.g. S1-2025).")

# The largest weight a challenge may have in a season (see SeasonChallengeWeight).
MAX_WEIGHT = 1_000_000


class Scoring(models.TextChoices):
    GAINS = "GAINS", "Gains inside the season"
    LIFETIME = "LIFETIME", "Lifetime values (v1)"


class Season(models.Model):
    id = models.CharField(primary_key=True, max_length=64, validators=[season_id_validator])
    name = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # At most one season is active; the active season counts only while starts_at <= now < ends_at.
    is_active = models.BooleanField(default=False)
    points_per_level = models.PositiveIntegerField(default=1000, validators=[MinValueValidator(1)])
    scoring = models.CharField(
        max_length=16,
        choices=Scoring.choices,
        default=Scoring.GAINS,
        help_text="Gains: points = weight x what each challenge's value gained between the season's start and end. "
        "Lifetime: weight x the whole value, whenever it was earned (v1).",
    )
    # Every challenge-progress change stamped at or before this moment is in the season's points
    # (null: nothing is known to be). The post-ETL hook recomputes from here, so the clusters of a
    # run whose hook failed are caught up by the next run instead of staying stale.
    points_synced_through = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Every progress change up to this moment is in the season's points.",
    )
    # Set when staff change what stored points and levels follow from (dates, scoring, weights,
    # points per level, the level curve) of a season already computed; cleared by the next
    # recompute of the whole season. Meanwhile the API says "stale" and claims use fresh points.
    points_stale_since = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="The stored points and levels are out of date since this change, until the season is recomputed.",
    )
    # Set by the one recompute after the season ended (values as of ends_at); never recomputed again.
    finalized_at = models.DateTimeField(null=True, blank=True, editable=False)
    claims_close_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Rewards can be claimed until this moment, also after the season ended. "
        "Empty: 14 days after the season ends.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Staff changes (admin: History); what the recompute writes is not a staff change.
    history = HistoricalRecords(
        table_name="seasons_history",
        excluded_fields=["points_synced_through", "points_stale_since", "finalized_at", "updated_at"],
    )

    class Meta:
        db_table = "seasons"
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")),
                name="seasons_starts_before_ends",
                violation_error_message="The season must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(points_per_level__gt=0),
                name="seasons_points_per_level_positive",
                violation_error_message="Points per level must be at least 1.",
            ),
            models.CheckConstraint(condition=Q(scoring__in=Scoring.values), name="seasons_scoring_valid"),
            models.CheckConstraint(
                condition=Q(claims_close_at__isnull=True) | Q(claims_close_at__gte=F("ends_at")),
                name="seasons_claims_close_after_end",
                violation_error_message="Claims cannot close before the season ends.",
            ),
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="seasons_single_active",
                violation_error_message="Another season is already active; deactivate it first.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.name})"

    @property
    def claims_deadline(self) -> datetime.datetime:
        """When claims close: `claims_close_at`, or CLAIMS_GRACE after the season ends."""
        return self.claims_close_at or self.ends_at + CLAIMS_GRACE


class SeasonChallengeWeight(models.Model):
    """How much one challenge counts in a season: a cluster earns `value x weight` in it.

    The weight is 1 to MAX_WEIGHT (1,000,000). The bound keeps the product inside the 64-bit
    integers points are computed in for any value up to about 9.2 x 10^12 (2^63 / 10^6): beyond
    that, PostgreSQL refuses the recompute with an out-of-range error rather than store a wrong
    number (SQLite turns the product into a float), so an unbounded weight would let one mistyped
    weight break every recompute of the season.
    """

    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="weights")
    # Points of a challenge in this season = its value x weight. Keyed by the challenge's code,
    # as the original schema is; PROTECT keeps a weighted challenge from being deleted.
    challenge = models.ForeignKey(
        Challenge, on_delete=models.PROTECT, to_field="code", db_column="challenge_code", related_name="+"
    )
    weight = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_WEIGHT)])

    history = HistoricalRecords(table_name="season_challenge_weights_history")

    class Meta:
        db_table = "season_challenge_weights"
        ordering = ["season", "challenge"]
        constraints = [
            models.UniqueConstraint(
                fields=["season", "challenge"],
                name="season_weights_unique_challenge",
                violation_error_message="This challenge already has a weight in this season.",
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=1, weight__lte=MAX_WEIGHT),
                name="season_weights_weight_in_range",
                violation_error_message=f"A weight must be a whole number from 1 to {MAX_WEIGHT:,}.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.season_id}: {self.challenge_id} x{self.weight}"


class SeasonProgress(models.Model):
    # No index of its own: season_progress_unique_cluster (season_id, cluster_id) serves every lookup by
    # season, and reads a season's clusters in the order the recompute joins them.
    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="progress", db_index=False)
    cluster_id = models.CharField(max_length=CLUSTER_ID_MAX_LENGTH)
    points = models.BigIntegerField(default=0)
    # 64-bit like points: a level can be as large as points when points_per_level is 1.
    level = models.PositiveBigIntegerField(default=0)
    # The request's lastUpdatedAt: when points or level last changed.
    updated_at = models.DateTimeField()
    # When the points last increased (set by the recompute): the season board's tie-break, the
    # cluster that reached its points first ranking first. A decrease leaves it as it was.
    points_reached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "season_progress"
        verbose_name_plural = "season progress"
        constraints = [
            models.UniqueConstraint(fields=["season", "cluster_id"], name="season_progress_unique_cluster"),
            models.CheckConstraint(condition=Q(points__gte=0), name="season_progress_points_non_negative"),
        ]
        indexes = [
            # Serves "season standings" (admin ordering, and the top of a board of season points).
            models.Index(F("season"), F("points").desc(), F("cluster_id"), name="season_progress_rank_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.season_id} / {self.cluster_id}: {self.points} pts, level {self.level}"


class SeasonProgressError(models.Model):
    """A cluster whose season points could not be stored (their sum is beyond 64-bit integers).

    Written by the recompute instead of failing it for everyone; the cluster keeps its previous
    row, the next recompute of it tries again and deletes the error once its points fit.
    """

    # No index of its own: season_progress_errors_unique_cluster (season_id, cluster_id) serves it.
    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="progress_errors", db_index=False)
    cluster_id = models.CharField(max_length=CLUSTER_ID_MAX_LENGTH)
    error = models.TextField()
    recorded_at = models.DateTimeField()

    class Meta:
        db_table = "season_progress_errors"
        constraints = [
            models.UniqueConstraint(fields=["season", "cluster_id"], name="season_progress_errors_unique_cluster"),
        ]

    def __str__(self) -> str:
        return f"{self.season_id} / {self.cluster_id}: {self.error}"


# --- the pass: level curve, reward tracks, premium, claims ----------------------------------------

# Season points are 64-bit: no level can need more.
MAX_POINTS = 2**63 - 1
# A curve longer than this is a typo, not a season.
MAX_CURVE_LEVELS = 1000
# How long the rewards of an ended season stay claimable when its claims_close_at is empty.
CLAIMS_GRACE = datetime.timedelta(days=14)


class SeasonLevel(models.Model):
    """One row of a season's level curve: `level` is reached with `points_required` points.

    A season with a curve is capped at its last level; one without keeps points // points_per_level.
    The rows of a season are levels 1..n with strictly increasing points: each row's own rules are
    constraints; the curve as a whole is checked at commit by a constraint trigger on PostgreSQL
    (migration 0009), and by seasons.levels.replace_level_curve and the admin's formset everywhere.
    """

    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="levels")
    level = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_CURVE_LEVELS)])
    points_required = models.BigIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_POINTS)])

    history = HistoricalRecords(table_name="season_levels_history")

    class Meta:
        db_table = "season_levels"
        ordering = ["season", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["season", "level"],
                name="season_levels_unique_level",
                violation_error_message="This level is already in the curve.",
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=MAX_CURVE_LEVELS),
                name="season_levels_level_in_range",
                violation_error_message=f"Levels run from 1 to {MAX_CURVE_LEVELS}.",
            ),
            models.CheckConstraint(
                condition=Q(points_required__gte=1),
                name="season_levels_points_positive",
                violation_error_message="A level needs at least 1 point.",
            ),
        ]
        indexes = [
            # The recompute's level of each cluster: the highest threshold at or below its points.
            models.Index(fields=["season", "points_required", "level"], name="season_levels_threshold_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.season_id} level {self.level}: {self.points_required} pts"


class Track(models.TextChoices):
    FREE = "FREE", "Free"
    PREMIUM = "PREMIUM", "Premium"


class SeasonReward(models.Model):
    """What a level of a track gives; a level may give several rewards (distinct names)."""

    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="rewards")
    track = models.CharField(max_length=16, choices=Track.choices)
    level = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    kind = models.CharField(max_length=64, help_text="Free text for the game, e.g. badge, role, token.")
    quantity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    data = models.JSONField(default=dict, blank=True, help_text="JSON handed to the game with the reward.")

    history = HistoricalRecords(table_name="season_rewards_history")

    class Meta:
        db_table = "season_rewards"
        ordering = ["season", "track", "level", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["season", "track", "level", "name"],
                name="season_rewards_unique_name",
                violation_error_message="This level of this track already has a reward of this name.",
            ),
            models.CheckConstraint(condition=Q(track__in=Track.values), name="season_rewards_track_valid"),
            models.CheckConstraint(condition=Q(level__gte=1), name="season_rewards_level_positive"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="season_rewards_quantity_positive"),
            models.CheckConstraint(condition=~Q(name=""), name="season_rewards_name_required"),
        ]

    def __str__(self) -> str:
        return f"{self.season_id} {self.track} level {self.level}: {self.name}"


class PremiumGrant(models.Model):
    """A cluster's premium pass in a season: one per (season, cluster), one per external reference.

    Written only through the service API (seasons.services.grant_premium), attributed to its key.
    """

    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="premium_grants")
    cluster_id = models.CharField(max_length=CLUSTER_ID_MAX_LENGTH)
    reference = models.CharField(max_length=200, help_text="The payment or on-chain transaction id.")
    source = models.CharField(max_length=64, help_text="Where the purchase came from, e.g. stripe, onchain.")
    granted_at = models.DateTimeField()
    api_key = models.ForeignKey(
        "rest_framework_api_key.APIKey", on_delete=models.PROTECT, related_name="+", help_text="The key that wrote it."
    )

    class Meta:
        db_table = "season_premium_grants"
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["season", "cluster_id"], name="season_premium_unique_cluster"),
            models.UniqueConstraint(fields=["season", "reference"], name="season_premium_unique_reference"),
            models.CheckConstraint(condition=~Q(reference=""), name="season_premium_reference_required"),
        ]

    def __str__(self) -> str:
        return f"{self.season_id} / {self.cluster_id}: premium ({self.source} {self.reference})"


class RewardClaim(models.Model):
    """A cluster claimed the rewards of one level of one track: never twice, never deleted by a lost level.

    `rewards` is what the claim granted, as the rewards were when claimed; `level_at_claim` and
    `points_at_claim` are the progress it was decided on.
    """

    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="claims")
    cluster_id = models.CharField(max_length=CLUSTER_ID_MAX_LENGTH)
    track = models.CharField(max_length=16, choices=Track.choices)
    level = models.PositiveIntegerField()
    claimed_at = models.DateTimeField()
    level_at_claim = models.PositiveBigIntegerField()
    points_at_claim = models.BigIntegerField()
    rewards = models.JSONField(default=list)
    api_key = models.ForeignKey(
        "rest_framework_api_key.APIKey", on_delete=models.PROTECT, related_name="+", help_text="The key that wrote it."
    )

    class Meta:
        db_table = "season_reward_claims"
        ordering = ["season", "cluster_id", "track", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["season", "cluster_id", "track", "level"], name="season_claims_unique_level"
            ),
            models.CheckConstraint(condition=Q(track__in=Track.values), name="season_claims_track_valid"),
            models.CheckConstraint(condition=Q(level__gte=1), name="season_claims_level_positive"),
            models.CheckConstraint(condition=Q(level_at_claim__gte=F("level")), name="season_claims_level_reached"),
        ]

    def __str__(self) -> str:
        return f"{self.season_id} / {self.cluster_id}: {self.track} level {self.level} claimed"
