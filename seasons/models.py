"""The Challenge Pass: seasons, the weight of each challenge in a season, and each cluster's points."""

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

from hedge.challenges.models import CLUSTER_ID_MAX_LENGTH, Challenge

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
    # Set by the one recompute after the season ended (values as of ends_at); never recomputed again.
    finalized_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

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
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="seasons_single_active",
                violation_error_message="Another season is already active; deactivate it first.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.name})"


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
    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="progress")
    cluster_id = models.CharField(max_length=CLUSTER_ID_MAX_LENGTH)
    points = models.BigIntegerField(default=0)
    # 64-bit like points: a level can be as large as points when points_per_level is 1.
    level = models.PositiveBigIntegerField(default=0)
    # The request's lastUpdatedAt: when points or level last changed.
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "season_progress"
        verbose_name_plural = "season progress"
        constraints = [
            models.UniqueConstraint(fields=["season", "cluster_id"], name="season_progress_unique_cluster"),
            models.CheckConstraint(condition=Q(points__gte=0), name="season_progress_points_non_negative"),
        ]
        indexes = [
            # Serves "season standings" (admin ordering now; a season leaderboard later).
            models.Index(F("season"), F("points").desc(), F("cluster_id"), name="season_progress_rank_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.season_id} / {self.cluster_id}: {self.points} pts, level {self.level}"


class SeasonProgressError(models.Model):
    """A cluster whose season points could not be stored (their sum is beyond 64-bit integers).

    Written by the recompute instead of failing it for everyone; the cluster keeps its previous
    row, the next recompute of it tries again and deletes the error once its points fit.
    """

    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="progress_errors")
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
