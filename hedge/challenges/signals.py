"""The post-ETL hook: how later steps (the season engine) learn that progress changed.

`challenges` imports neither `seasons` nor `leaderboards`; they subscribe here instead, from
their AppConfig.ready():

    progress_changed.connect(on_progress_changed, dispatch_uid="seasons.recompute")

Receivers are called after the progress is committed, with `change: ProgressChange`. It does
not list cluster ids (a run may change a million): every row the run changed has
`challenge_progress.updated_at >= change.changed_since`, which a receiver uses inside SQL.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.dispatch import Signal

logger = logging.getLogger(__name__)

progress_changed = Signal()

# The ETL's outcome, for apps that report it (events). The ETL commits per challenge, so each is
# sent inside a transaction of its own that records nothing else:
# - `etl_challenge_failed(outcome, started_at)`: one challenge failed (its progress rolled back), sent
#   at once, before the next challenge runs; `outcome` is the ChallengeOutcome with its `error`.
# - `etl_completed(result)`: the run is over (every challenge committed or rolled back, the
#   post-ETL hook called); `result` is the EtlRunResult, failed challenges and hook errors included.
etl_challenge_failed = Signal()
etl_completed = Signal()

# Sent by prune_progress_history with `now`; a receiver returns the earliest moment whose history
# it still needs (or None), and no history from that moment on is pruned.
history_needed_since = Signal()


@dataclass(frozen=True)
class ProgressChange:
    source: str  # "etl" or "import"
    changed_since: datetime.datetime
    challenge_codes: frozenset[str]


def notify_progress_changed(sender, change: ProgressChange) -> list[str]:
    """Call every receiver; one failing does not stop the others. Returns their errors as text."""
    errors = []
    for receiver, response in progress_changed.send_robust(sender=sender, change=change):
        if isinstance(response, Exception):
            name = getattr(receiver, "__qualname__", repr(receiver))
            logger.error("progress_changed receiver %s failed", name, exc_info=response)
            errors.append(f"{name}: {response}")
    return errors
