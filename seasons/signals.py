"""The season engine's and the pass's hooks: how apps built on seasons (events) learn of their changes.

`seasons` imports none of those apps; they subscribe from their AppConfig.ready(). Each signal is
sent INSIDE the transaction of the change it reports, so what a receiver writes commits (or rolls
back) with it; a receiver that raises rolls the change back.

- `season_finalized(season, finalized_at)`: the season's final recompute (values as of its end) has
  been written; sent after its progress and `finalized_at`, in the recompute's transaction.
- `recompute_failed(season, error, failed_clusters)`: a recompute could not store every cluster's
  points (`failed_clusters` > 0: points beyond 64-bit integers, recorded in season_progress_errors,
  the others written), sent in the recompute's transaction; or the post-ETL hook's recompute raised
  (`failed_clusters` None), sent in a transaction of its own after the recompute rolled back.
- `reward_claimed(claim)`: a new RewardClaim, in the transaction that inserts it (not for a claim
  that already existed).
- `premium_granted(grant)`: a new PremiumGrant, in the transaction that inserts it.
"""

from django.dispatch import Signal

season_finalized = Signal()
recompute_failed = Signal()
reward_claimed = Signal()
premium_granted = Signal()
