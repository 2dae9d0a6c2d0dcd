"""What leagues tell apps built on them (events): sent inside the transactions that write them.

`period_closed` is sent inside the transaction that publishes a period's final run, once the
league's moves of that period are written for the first time (a correction that rewrites them does
not send it again: one per league per period), with `league`, `period` (the LeaguePeriod) and
`counts` ({level: {"PROMOTE": n, "STAY": n, "DEMOTE": n}}).
"""

from django.dispatch import Signal

period_closed = Signal()
