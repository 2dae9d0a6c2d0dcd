"""What prizes tells apps built on it (events): sent inside the transactions that write awards.

`awards_created` is sent inside the transaction that publishes a final run, after its awards are
written, with `run` (the published LeaderboardRun), `count` (awards written) and `totals`
({kind: total quantity} of those awards). Not sent when the board writes no awards.

`award_settled` is sent inside the transaction that settles an award (the first settle only, not
an idempotent repeat), with `award` (the SETTLED LeaderboardAward) and `api_key` (the APIKey that
settled it). A receiver that raises rolls the settlement back.
"""

from django.dispatch import Signal

awards_created = Signal()
award_settled = Signal()
