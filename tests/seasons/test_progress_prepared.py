"""GET /seasons/{id}/progress runs its two statements prepared (PostgreSQL): planned once per connection, with
generic plans, and answering as if planned for each request, whatever the season's scoring."""

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from seasons.services import recompute_season
from tests.factories import SeasonFactory, given_history
from tests.helpers import prepared_plans

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="prepared statements are PostgreSQL's"),
]

DAY = datetime.timedelta(days=1)


@pytest.mark.parametrize("scoring", ["GAINS", "LIFETIME", "LIFETIME, ended"])
def test_progress_runs_its_statements_prepared_with_generic_plans(client, weighted, season, scoring):
    now = timezone.now()
    if scoring == "LIFETIME, ended":
        season = SeasonFactory(id="S0", starts_at=now - 30 * DAY, ends_at=now - 2 * DAY, scoring="LIFETIME")
        for code, weight in (("alpha", 1), ("gamma", 3)):
            season.weights.create(challenge=weighted[code], weight=weight)
    else:
        season.scoring = scoring
        season.save()
    alpha, gamma = weighted["alpha"], weighted["gamma"]
    given_history(alpha, {"c1": 10, "c2": 3}, at=season.starts_at - DAY)
    given_history(gamma, {"c1": 0}, at=season.starts_at - DAY)
    given_history(alpha, {"c1": 25, "c2": 9}, at=now - 3 * DAY)
    given_history(gamma, {"c1": 7}, at=now - 3 * DAY)
    recompute_season(season)
    clusters = ["c1", "c2", "nobody"]
    with transaction.atomic():  # planned for these executions only: no session setting inside a transaction
        first = {c: client.get(f"/seasons/{season.pk}/progress", {"clusterId": c}).json() for c in clusters}
    generic, custom = prepared_plans()

    with CaptureQueriesContext(connection) as queries:
        answers = [client.get(f"/seasons/{season.pk}/progress", {"clusterId": c}).json() for c in clusters * 2]

    assert answers == [first[c] for c in clusters * 2]
    assert [first[c]["points"] for c in clusters] == ([15 + 21, 6, 0] if scoring == "GAINS" else [25 + 21, 9, 0])
    # Each statement of the six requests (the standing, the breakdown) ran a plan made once for the connection.
    assert len(queries) == 2 * 6
    assert prepared_plans() == (generic + 12, custom)
