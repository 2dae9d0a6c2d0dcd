"""Events: the transactional outbox (one row per change), webhook endpoints, and deliveries with their attempts.

An event is written in the transaction of the change it reports, with one delivery per interested
active endpoint (fanned out in one statement); the worker (deliver_webhooks) sends deliveries and
records every attempt.
"""

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class EventType(models.TextChoices):
    FINAL_PUBLISHED = "leaderboard.final_published", "leaderboard.final_published"
    FINAL_SUPERSEDED = "leaderboard.final_superseded", "leaderboard.final_superseded"
    RUN_FAILED = "leaderboard.run_failed", "leaderboard.run_failed"
    AWARDS_CREATED = "awards.created", "awards.created"
    SEASON_FINALIZED = "season.finalized", "season.finalized"
    SEASON_RECOMPUTE_FAILED = "season.recompute_failed", "season.recompute_failed"
    ETL_FAILED = "etl.failed", "etl.failed"
    ETL_COMPLETED = "etl.completed", "etl.completed"
    REWARD_CLAIMED = "reward.claimed", "reward.claimed"
    PREMIUM_GRANTED = "premium.granted", "premium.granted"
    AWARD_SETTLED = "award.settled", "award.settled"
    LEAGUE_PERIOD_CLOSED = "league.period_closed", "league.period_closed"
    # "Send test event" in the admin: delivered to the one endpoint it was sent from, never fanned out.
    TEST = "webhook.test", "webhook.test"


class Format(models.TextChoices):
    STANDARD = "standard", "Standard Webhooks (JSON envelope, signed)"
    DISCORD = "discord", "Discord (a message for a Discord webhook URL)"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead (retries exhausted)"


EVENT_TYPE_MAX_LENGTH = 64


class Event(models.Model):
    """One change that happened, as it is delivered: the envelope's body, fixed when written (never changes)."""

    # The envelope's "id" and the webhook-id header: the same for every delivery and retry of the event.
    message_id = models.CharField(max_length=40, unique=True)
    type = models.CharField(max_length=EVENT_TYPE_MAX_LENGTH, choices=EventType.choices)
    occurred_at = models.DateTimeField()
    # The envelope {"id", "type", "timestamp", "data"} as sent, byte for byte (jsonb would reorder its keys).
    body = models.TextField()

    class Meta:
        db_table = "webhook_events"
        ordering = ["-id"]
        indexes = [models.Index(fields=["occurred_at"], name="webhook_events_occurred_idx")]
        constraints = [models.CheckConstraint(condition=Q(type__in=EventType.values), name="webhook_events_type_valid")]

    def __str__(self) -> str:
        return f"{self.type} {self.message_id}"


class WebhookEndpoint(models.Model):
    name = models.CharField(max_length=200, help_text="Who receives it, e.g. 'Discord #results' or 'game backend'.")
    url = models.URLField(
        max_length=2000,
        help_text="https only (WEBHOOK_ALLOW_HTTP allows http for development); an address that resolves to a "
        "private, loopback, link-local or metadata address is refused.",
    )
    # Comma-separated EventType values; empty: every type. Text, so the fan-out matches it in one SQL condition.
    event_types = models.TextField(blank=True, default="", help_text="Empty: every event type.")
    format = models.CharField(max_length=16, choices=Format.choices, default=Format.STANDARD)
    is_active = models.BooleanField(default=True)
    # Why it was deactivated by hedge (a 410 Gone answer); empty when staff did it or it is active.
    deactivated_reason = models.TextField(blank=True, default="", editable=False)
    # whsec_ + base64 of 32 random bytes; shown once (on creation and rotation), never listed or logged.
    secret = models.CharField(max_length=100, editable=False)
    # The secret before the last rotation: still signs (a second signature) until previous_secret_expires_at.
    previous_secret = models.CharField(max_length=100, blank=True, default="", editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Staff changes (admin: History); the secrets are never copied into the history.
    history = HistoricalRecords(
        table_name="webhook_endpoints_history",
        excluded_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"],
    )

    class Meta:
        db_table = "webhook_endpoints"
        ordering = ["name", "id"]
        verbose_name = "webhook endpoint"
        constraints = [
            models.CheckConstraint(condition=Q(format__in=Format.values), name="webhook_endpoints_format_valid"),
            models.CheckConstraint(condition=Q(secret__startswith="whsec_"), name="webhook_endpoints_secret_whsec"),  # noqa: S106
            models.CheckConstraint(
                condition=Q(previous_secret="", previous_secret_expires_at__isnull=True)
                | (Q(previous_secret__startswith="whsec_") & Q(previous_secret_expires_at__isnull=False)),  # noqa: S106
                name="webhook_endpoints_previous_secret_expires",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def event_type_list(self) -> list[str]:
        return [t for t in self.event_types.split(",") if t]


class Delivery(models.Model):
    """One event to one endpoint: made at least once, retried with backoff until delivered or dead."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # When the worker may next try (pending only).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "webhook_deliveries"
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            # The worker's claim (events.sql.CLAIM_DUE) and its wait for the next due attempt.
            models.Index(
                fields=["next_attempt_at", "id"],
                name="webhook_deliv_due_idx",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["endpoint", "status"], name="webhook_deliv_endpoint_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_deliveries_one_per_endpoint"),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="webhook_deliveries_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", next_attempt_at__isnull=False)
                | (~Q(status="pending") & Q(next_attempt_at__isnull=True)),
                name="webhook_deliveries_due_when_pending",
            ),
            models.CheckConstraint(
                condition=Q(status="delivered", delivered_at__isnull=False)
                | (~Q(status="delivered") & Q(delivered_at__isnull=True)),
                name="webhook_deliveries_delivered_at_when_delivered",
            ),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk}"


class DeliveryAttempt(models.Model):
    """One HTTP request of a delivery: what was answered (or the error), and how long it took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField()
    # The first 1 kB of the answer's body, or the error (timeout, refused connection, unsafe address).
    response_body = models.TextField(blank=True, default="")
    error = models.TextField(blank=True, default="")
    succeeded = models.BooleanField()

    class Meta:
        db_table = "webhook_delivery_attempts"
        ordering = ["-attempted_at", "-id"]
        indexes = [models.Index(fields=["delivery", "attempted_at"], name="webhook_attempts_delivery_idx")]

    def __str__(self) -> str:
        return f"attempt {self.pk}"
