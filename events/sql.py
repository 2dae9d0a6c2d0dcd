"""The events app's statements: the outbox's fan-out, the worker's claim, and retention."""

# The deliveries of one new event: one row per active endpoint that wants its type, in one statement.
# event_types is comma-separated (empty: every type); the pattern is ',type,' with LIKE's '_' escaped.
# Uses a scan of webhook_endpoints (a handful of rows).
FAN_OUT = """
INSERT INTO webhook_deliveries (event_id, endpoint_id, status, attempts, next_attempt_at, last_error, created_at)
SELECT %(event)s, e.id, 'pending', 0, %(now)s, '', %(now)s
FROM webhook_endpoints e
WHERE e.is_active
  AND (e.event_types = '' OR ',' || e.event_types || ',' LIKE %(type_pattern)s ESCAPE '\\')
"""

# The due deliveries of active endpoints, oldest due first; {locking} locks them and skips those another
# worker holds (PostgreSQL: FOR UPDATE OF d SKIP LOCKED; SQLite: nothing, one worker).
# Uses index webhook_deliv_due_idx (partial: pending).
CLAIM_DUE = """
SELECT d.id
FROM webhook_deliveries d
JOIN webhook_endpoints e ON e.id = d.endpoint_id
WHERE d.status = 'pending' AND d.next_attempt_at <= %(now)s AND e.is_active
ORDER BY d.next_attempt_at, d.id
LIMIT %(limit)s{locking}
"""

# One delivery's state after an attempt (run with executemany over a batch: one round trip on PostgreSQL's
# pipeline). Uses the primary key.
RECORD_ATTEMPT = """
UPDATE webhook_deliveries
SET status = %(status)s, attempts = %(attempts)s, next_attempt_at = %(next_attempt_at)s,
    last_attempt_at = %(last_attempt_at)s, last_status_code = %(last_status_code)s, last_error = %(last_error)s,
    delivered_at = %(delivered_at)s
WHERE id = %(id)s
"""

# When the next pending delivery of an active endpoint is due (the worker sleeps until then at most).
# Uses index webhook_deliv_due_idx.
NEXT_DUE = """
SELECT MIN(d.next_attempt_at)
FROM webhook_deliveries d
JOIN webhook_endpoints e ON e.id = d.endpoint_id
WHERE d.status = 'pending' AND e.is_active
"""

# Retention (prune_webhook_events): finished deliveries older than the cutoff, their attempts first,
# then the events left without deliveries. Uses webhook_attempts_delivery_idx and webhook_events_occurred_idx.
PRUNE_ATTEMPTS = """
DELETE FROM webhook_delivery_attempts
WHERE delivery_id IN (
    SELECT id FROM webhook_deliveries WHERE status IN ('delivered', 'dead') AND created_at < %(cutoff)s
)
"""

PRUNE_DELIVERIES = """
DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'dead') AND created_at < %(cutoff)s
"""

PRUNE_EVENTS = """
DELETE FROM webhook_events
WHERE occurred_at < %(cutoff)s
  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id)
"""
