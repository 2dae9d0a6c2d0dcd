"""The leaderboards' hooks: how apps built on final standings (prizes, events) act on them.

`leaderboards` imports none of those apps; they subscribe from their AppConfig.ready():

    final_run_published.connect(award_final_run, dispatch_uid="prizes.award")

`final_run_published` is sent inside the transaction that publishes a final run, after the run
is COMPLETE and the run it replaces (if any) is SUPERSEDED, with `run` (the new COMPLETE
LeaderboardRun) and `superseded` (the LeaderboardRun it replaced, or None). A receiver writes in
that same transaction: if it raises, the publication rolls back and the run is recorded FAILED.

`run_published` is sent inside the transaction of every generation (scheduled, backfill and final), once
the run is COMPLETE and before `final_run_published`, with `run`: work that belongs to the run's
generation (leagues place the run's new clusters) writes in that transaction, and rolls it back if it
raises.

`run_failed` is sent inside the transaction that records a run FAILED, with `run` (its `error`
set), so what a receiver writes commits with the failure record.
"""

from django.dispatch import Signal

run_published = Signal()
final_run_published = Signal()
run_failed = Signal()
