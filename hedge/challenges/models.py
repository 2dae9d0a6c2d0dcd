"""The challenge-progress substrate: the catalogue (categories, challenges, tiers) and per-cluster progress.

Table names are the original request's, so other readers of the database keep working.
"""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from hedge.core.clusters import CLUSTER_ID_MAX_LENGTH

# The largest progress value hedge accepts (a trillion; no real count of wins, trades or points
# comes near it). With a season weight of at most 1,000,000 (seasons.models.MAX_WEIGHT) every
# value x weight stays below 10^18, inside the 64-bit integers points are stored in; a season sum
# that still goes beyond them is a per-cluster error (seasons.services), never a failed recompute.
# Import, ETL and the upsert's staging table check it, and so do the tables' CHECK constraints.
MAX_PROGRESS_VALUE = 10**12
BIGINT_MAX = 2**63 - 1


slug_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_]*$", "Use lowercase letters, digits and underscores, starting with a letter or digit."
)


class ChallengeCategory(models.Model):
    key = models.CharField(max_length=64, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The catalogue changes through sync_challenge_config, attributed to it (hedge.core.audit).
    history = HistoricalRecords(table_name="challenge_categories_history", excluded_fields=["updated_at"])

    class Meta:
        db_table = "challenge_categories"
        ordering = ["key"]
        verbose_name_plural = "challenge categories"

    def __str__(self) -> str:
        return self.key


class Challenge(models.Model):
    code = models.CharField(max_length=64, unique=True, validators=[slug_validator])
    category = models.ForeignKey(ChallengeCategory, on_delete=models.PROTECT, related_name="challenges")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    # Where the value comes from: the ETL runs the extractor registered for metric_source.
    metric_source = models.CharField(max_length=64)
    metric_key = models.CharField(max_length=64)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(table_name="challenges_history", excluded_fields=["updated_at"])

    class Meta:
        db_table = "challenges"
        ordering = ["code"]
        indexes = [models.Index(fields=["metric_source", "metric_key"], name="challenges_metric_idx")]

    def __str__(self) -> str:
        return self.code


class ChallengeTier(models.Model):
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="tiers")
    tier = models.PositiveSmallIntegerField()
    # A cluster reaches this tier once its value is at least the threshold.
    threshold = models.BigIntegerField()
    name = models.CharField(max_length=200, blank=True, default="")

    history = HistoricalRecords(table_name="challenge_tiers_history")

    class Meta:
        db_table = "challenge_tiers"
        ordering = ["challenge", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "tier"], name="challenge_tiers_unique_tier"),
            models.CheckConstraint(condition=Q(tier__gte=1), name="challenge_tiers_tier_positive"),
            models.CheckConstraint(condition=Q(threshold__gte=0), name="challenge_tiers_threshold_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.challenge_id}: tier {self.tier} at {self.threshold}"


class ChallengeProgress(models.Model):
    """A cluster's current value in one challenge; one row per (challenge, cluster)."""

    cluster_id = models.CharField(max_length=CLUSTER_ID_MAX_LENGTH)
    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="progress")
    value = models.BigIntegerField(default=0)
    current_tier = models.PositiveSmallIntegerField(default=0)
    # When the value last changed (not when it was last seen): `updated_at >= t` selects the
    # clusters a run changed, which is how later steps (season points) find their work.
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "challenge_progress"
        verbose_name_plural = "challenge progress"
        constraints = [
            models.UniqueConstraint(fields=["challenge", "cluster_id"], name="challenge_progress_unique_cluster"),
            models.CheckConstraint(condition=Q(value__gte=0), name="challenge_progress_value_non_negative"),
            models.CheckConstraint(
                condition=Q(value__lte=MAX_PROGRESS_VALUE), name="challenge_progress_value_at_most_max"
            ),
        ]
        indexes = [
            # Serves "rank clusters by value within one challenge" (leaderboards).
            models.Index(F("challenge"), F("value").desc(), F("cluster_id"), name="challenge_progress_rank_idx"),
            # Serves "clusters changed since t" (incremental season recompute).
            models.Index(fields=["updated_at"], name="challenge_progress_updated_idx"),
            # Serves "every challenge of one cluster" (season points of one cluster, a profile) and "one challenge of
            # one cluster" (a board's tiebreaker, probed for each of its top N) from the index alone. Keyed on the
            # cluster only, the probe for one challenge visited the heap row of each of the cluster's challenges
            # (10 pages for 1 value: a top-1000 board 17 ms instead of 12 ms among 100 boards at 1,000,000 clusters).
            models.Index(fields=["cluster_id", "challenge"], include=["value"], name="challenge_progress_cluster_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.cluster_id} / {self.challenge_id}: {self.value}"


class ChallengeProgressCount(models.Model):
    """How many progress rows a challenge has, kept by the database (migration 0005's triggers).

    Every insert, delete, truncate and change of challenge of a challenge_progress row adjusts it in the
    same transaction, so it always equals `COUNT(*)` of the challenge's rows in the writer's snapshot: a
    top-N run reads its count before the cut here instead of counting a million index entries.
    """

    challenge = models.OneToOneField(Challenge, on_delete=models.CASCADE, primary_key=True, related_name="+")
    progress_rows = models.BigIntegerField(default=0)

    class Meta:
        db_table = "challenge_progress_counts"
        constraints = [
            models.CheckConstraint(condition=Q(progress_rows__gte=0), name="challenge_progress_counts_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.challenge_id}: {self.progress_rows} rows"


class ChallengeProgressHistory(models.Model):
    """Append-only: one row each time a cluster's value in a challenge changes.

    Time-bounded scores (gained within a day, week, month or season) and season baselines are
    computed from it: the value at a moment is the latest row recorded at or before it.
    """

    cluster_id = models.CharField(max_length=CLUSTER_ID_MAX_LENGTH)
    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="+")
    value = models.BigIntegerField()
    recorded_at = models.DateTimeField()

    class Meta:
        db_table = "challenge_progress_history"
        verbose_name_plural = "challenge progress history"
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="challenge_progress_history_value_non_negative"),
            models.CheckConstraint(
                condition=Q(value__lte=MAX_PROGRESS_VALUE), name="challenge_progress_history_value_at_most_max"
            ),
        ]
        indexes = [
            models.Index(fields=["challenge", "cluster_id", "recorded_at"], name="progress_history_lookup_idx"),
            models.Index(fields=["challenge", "recorded_at"], name="progress_history_window_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.cluster_id} / {self.challenge_id}: {self.value} at {self.recorded_at:%Y-%m-%d %H:%M}"
