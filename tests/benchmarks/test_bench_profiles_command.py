"""`manage.py bench_profiles` in small: seeded once and kept, then measured again by name without seeding."""

import json
import os

import pytest
from django.core.management import call_command

from bench.scratch import drop_kept, leftover_databases

postgresql_only = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":")[0] not in {"postgres", "postgresql", "pgsql"},
    reason="the profiles benchmark seeds with generate_series, PostgreSQL's",
)
pytestmark = [pytest.mark.django_db(transaction=True), postgresql_only]


def test_a_kept_database_is_measured_again_by_name_without_seeding(tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    small = {"repeat": 1, "http_seconds": 0, "only": ["movers_design"], "verbosity": 0}

    call_command("bench_profiles", clusters=10_000, keep_database=True, json=first, **small)
    kept = json.loads(first.read_text())["scratch_database"]
    try:
        call_command("bench_profiles", database=kept, json=second, **small)
    finally:
        drop_kept(kept)

    seeded, measured = json.loads(first.read_text()), json.loads(second.read_text())
    assert "seed_seconds" in seeded and "seed_seconds" not in measured
    assert measured["options"]["clusters"] == 10_000  # what the kept database holds, not the default 1M
    [design] = measured["operations"]
    assert design["stored"]["rows_per_run"] == 200  # the seeded movers, intact after the first run's rollbacks
    assert design["index"]["entries_indexed"] == 10 * 10_000 + 52 * 10_000
    assert kept not in leftover_databases()
