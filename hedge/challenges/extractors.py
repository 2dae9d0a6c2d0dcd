"""Extractors: where challenge values come from.

An extractor is any callable `extractor(challenge) -> Iterable[(cluster_id, value)]` yielding the
current value of every cluster it knows for that challenge (value: a non-negative int). The ETL
runs, for each active challenge, the extractor registered for its `metric_source` in the setting
HEDGE_EXTRACTORS (metric_source -> dotted path). A generator is best: rows are streamed into the
database and never held in memory whole.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable

from django.conf import settings
from django.utils.module_loading import import_string

from .models import Challenge

Extractor = Callable[[Challenge], Iterable[tuple[str, int]]]


def configured_extractors() -> dict[str, Extractor]:
    """The extractors of settings.HEDGE_EXTRACTORS, imported."""
    return {source: import_string(path) for source, path in settings.HEDGE_EXTRACTORS.items()}


def demo_cluster_id(number: int) -> str:
    return f"cluster-{number:07d}"


# Days of play a demo value takes to reach its full size (see DemoExtractor).
DEMO_RAMP_DAYS = 30


class DemoExtractor:
    """Deterministic synthetic values for `clusters` clusters, so hedge runs with no external data.

    The same seed gives the same values (a second run changes nothing); each challenge gets its
    own stream. About one cluster in seven does not play a given challenge, and values follow a
    long-tailed distribution with many ties near the bottom, like real game metrics.

    With `day` (0..DEMO_RAMP_DAYS) the values are those after `day` days of play: each cluster's
    value grows towards its full size at its own pace, never going down, by a different amount
    each day (so a day's gains rank differently from lifetime values). The quickstart replays a
    few days like this to give the demo a history.
    """

    def __init__(self, *, clusters: int = 1000, seed: int = 0, day: int | None = None):
        self.clusters = clusters
        self.seed = seed
        self.day = day

    def __call__(self, challenge: Challenge) -> Iterable[tuple[str, int]]:
        rng = random.Random(f"{self.seed}:{challenge.code}")
        daily = random.Random(f"{self.seed}:{challenge.code}:day{self.day}")
        for number in range(1, self.clusters + 1):
            if rng.random() < 0.15:
                continue
            value = int(rng.paretovariate(1.3) * 20) - 20
            if self.day is not None:
                # day + jitter in [0, 1) only ever grows from one day to the next.
                progress = min(self.day + daily.random(), DEMO_RAMP_DAYS) / DEMO_RAMP_DAYS
                value = int(value * progress)
            yield demo_cluster_id(number), value
