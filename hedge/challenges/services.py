"""Writes to the challenge substrate: catalogue sync and set-based progress upserts."""

from __future__ import annotations

import csv
import dataclasses
import datetime
import fcntl
import itertools
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO

from django.db import connection, transaction
from django.utils import timezone

from hedge.db import bulk_load, create_temp_table, drop_temp_table, is_postgresql, sql_datetime

from .config import HEDGE_CHALLENGE_CONFIG, CategorySpec
from .models import CLUSTER_ID_MAX_LENGTH, Challenge, ChallengeCategory, ChallengeTier, cluster_id_problem
from .signals import ProgressChange, notify_progress_changed

BIGINT_MAX = 2**63 - 1

# --- catalogue ---------------------------------------------------------------------------------


@dataclass
class SyncResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    unchanged: int = 0
    tiers_changed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated or self.tiers_changed)


def validate_challenge_config(config: Sequence[CategorySpec]) -> None:
    """Raise ValueError naming every problem of a catalogue before anything is written."""
    problems = []
    seen_categories: set[str] = set()
    seen_codes: set[str] = set()
    for category in config:
        if category.key in seen_categories:
            problems.append(f"category {category.key!r} appears twice")
        seen_categories.add(category.key)
        for spec in category.challenges:
            if spec.code in seen_codes:
                problems.append(f"challenge {spec.code!r} appears twice")
            seen_codes.add(spec.code)
            tiers = [t.tier for t in spec.tiers]
            if tiers != list(range(1, len(tiers) + 1)):
                problems.append(f"challenge {spec.code!r}: tiers must be numbered 1, 2, 3... in order")
            thresholds = [t.threshold for t in spec.tiers]
            if any(t < 0 for t in thresholds) or any(a >= b for a, b in itertools.pairwise(thresholds)):
                problems.append(f"challenge {spec.code!r}: tier thresholds must be non-negative and strictly rising")
    if problems:
        raise ValueError("; ".join(problems))


def _apply(instance, values: dict) -> bool:
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    if changed:
        instance.full_clean()
        instance.save(update_fields=[*changed, "updated_at"] if hasattr(instance, "updated_at") else changed)
    return bool(changed)


@transaction.atomic
def sync_challenge_config(*, config: Sequence[CategorySpec] = HEDGE_CHALLENGE_CONFIG) -> SyncResult:
    """Make categories, challenges and tiers match `config`. Idempotent: a second run changes nothing.

    A challenge missing from the config is deactivated, never deleted, so its progress stays.
    The catalogue is a few dozen rows, so it is compared row by row; progress is never touched
    here except to re-derive tiers of challenges whose thresholds changed.
    """
    validate_challenge_config(config)
    result = SyncResult()
    categories = {c.key: c for c in ChallengeCategory.objects.all()}
    challenges = {c.code: c for c in Challenge.objects.select_related("category")}
    tiers_by_challenge: dict[int, dict[int, ChallengeTier]] = {}
    for tier in ChallengeTier.objects.all():
        tiers_by_challenge.setdefault(tier.challenge_id, {})[tier.tier] = tier
    retiered: list[int] = []

    for category_spec in config:
        values = {"name": category_spec.name, "description": category_spec.description}
        category = categories.get(category_spec.key)
        if category is None:
            category = ChallengeCategory(key=category_spec.key, **values)
            category.full_clean()
            category.save()
            result.created.append(f"category {category.key}")
        elif _apply(category, values):
            result.updated.append(f"category {category.key}")
        else:
            result.unchanged += 1

        for spec in category_spec.challenges:
            values = {
                "category": category,
                "name": spec.name,
                "description": spec.description,
                "metric_source": spec.metric_source,
                "metric_key": spec.metric_key,
                "is_active": True,
            }
            challenge = challenges.pop(spec.code, None)
            if challenge is None:
                challenge = Challenge(code=spec.code, **values)
                challenge.full_clean()
                challenge.save()
                result.created.append(f"challenge {challenge.code}")
            elif _apply(challenge, values):
                result.updated.append(f"challenge {challenge.code}")
            else:
                result.unchanged += 1

            existing = tiers_by_challenge.get(challenge.id, {})
            wanted = {t.tier: t for t in spec.tiers}
            tier_changes = 0
            for number, tier_spec in wanted.items():
                tier = existing.get(number)
                tier_values = {"threshold": tier_spec.threshold, "name": tier_spec.name}
                if tier is None:
                    ChallengeTier.objects.create(challenge=challenge, tier=number, **tier_values)
                    tier_changes += 1
                elif _apply(tier, tier_values):
                    tier_changes += 1
            stale = [number for number in existing if number not in wanted]
            if stale:
                ChallengeTier.objects.filter(challenge=challenge, tier__in=stale).delete()
                tier_changes += len(stale)
            if tier_changes:
                result.tiers_changed += tier_changes
                retiered.append(challenge.id)

    for challenge in challenges.values():
        if challenge.is_active:
            _apply(challenge, {"is_active": False})
            result.deactivated.append(challenge.code)

    if retiered:
        recompute_tiers(challenge_ids=retiered)
    return result


# --- progress ----------------------------------------------------------------------------------

# An arbitrary, fixed key of PostgreSQL's advisory-lock space ("hedge" in ASCII).
_PROGRESS_LOCK_KEY = 0x6865646765


class ProgressWriteInProgress(Exception):
    """Another ETL run or import is writing progress right now."""


def progress_lock_path() -> str:
    """The lock file of a SQLite database: beside it, named after it."""
    return f"{connection.settings_dict['NAME']}.progress.lock"


@contextmanager
def exclusive_progress_writes():
    """Hold hedge's progress-writer lock, or raise ProgressWriteInProgress at once.

    Two overlapping ETL runs (a cron run outlasting its interval) would each compare against the
    same old values: history rows twice, and the older run, committing last, overwriting newer
    values. On PostgreSQL a session-level advisory lock makes such a run refuse to start; on SQLite
    (one machine by nature) an exclusive lock on a file beside the database does the same. Both
    are released by the operating system or the server if the process dies.
    """
    if not is_postgresql():
        with open(progress_lock_path(), "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ProgressWriteInProgress("another challenge ETL run or progress import is in progress") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_PROGRESS_LOCK_KEY])
        if not cursor.fetchone()[0]:
            raise ProgressWriteInProgress("another challenge ETL run or progress import is in progress")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_PROGRESS_LOCK_KEY])


# The highest tier whose threshold the value reaches (0 below the first tier).
_TIER_SQL = (
    "COALESCE((SELECT MAX(t.tier) FROM challenge_tiers t"
    " WHERE t.challenge_id = {challenge} AND t.threshold <= {value}), 0)"
)


def recompute_tiers(*, challenge_ids: Sequence[int]) -> int:
    """Re-derive `current_tier` of every progress row of these challenges in one UPDATE."""
    if not challenge_ids:
        return 0
    tier = _TIER_SQL.format(challenge="challenge_progress.challenge_id", value="challenge_progress.value")
    placeholders = ", ".join(["%s"] * len(challenge_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE challenge_progress SET current_tier = {tier}"
            f" WHERE challenge_id IN ({placeholders}) AND current_tier <> {tier}",
            list(challenge_ids),
        )
        return cursor.rowcount


@dataclass(frozen=True)
class UpsertResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    # Errors of post-ETL hook receivers (the progress itself is committed).
    hook_errors: tuple[str, ...] = ()

    @property
    def changed(self) -> int:
        return self.inserted + self.updated

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(
            self.inserted + other.inserted, self.updated + other.updated, self.unchanged + other.unchanged
        )


_STAGE = "hedge_progress_stage"


def upsert_progress(rows: Iterable[tuple[str, int, int]], *, now: datetime.datetime) -> UpsertResult:
    """Upsert `(cluster_id, challenge_id, value)` rows into challenge_progress, set-based.

    The rows are streamed into a temporary table (COPY on PostgreSQL), then three statements do
    the rest inside the database: count what is new or different, append those to
    challenge_progress_history, and `INSERT ... ON CONFLICT DO UPDATE` only the rows whose value
    changed (with their tier). Changed rows get `updated_at = now`. The caller owns the
    transaction; a bad row (negative value, blank or over-long cluster id, the same cluster twice
    for a challenge) fails the whole call with the database's error.
    """
    stamp = sql_datetime(now)
    with connection.cursor() as cursor:
        create_temp_table(
            cursor,
            _STAGE,
            f"cluster_id varchar({CLUSTER_ID_MAX_LENGTH}) NOT NULL"
            f" CHECK (length(cluster_id) BETWEEN 1 AND {CLUSTER_ID_MAX_LENGTH}),"
            " challenge_id bigint NOT NULL,"
            " value bigint NOT NULL CHECK (value >= 0),"
            " PRIMARY KEY (challenge_id, cluster_id)",
        )
        try:
            total = bulk_load(cursor, _STAGE, ("cluster_id", "challenge_id", "value"), rows)
            if total == 0:
                return UpsertResult()
            join = (
                f"FROM {_STAGE} s LEFT JOIN challenge_progress p"
                " ON p.challenge_id = s.challenge_id AND p.cluster_id = s.cluster_id"
            )
            cursor.execute(
                "SELECT COALESCE(SUM(CASE WHEN p.id IS NULL THEN 1 ELSE 0 END), 0),"
                " COALESCE(SUM(CASE WHEN p.value <> s.value THEN 1 ELSE 0 END), 0) " + join
            )
            inserted, updated = cursor.fetchone()
            if inserted or updated:
                cursor.execute(
                    "INSERT INTO challenge_progress_history (cluster_id, challenge_id, value, recorded_at)"
                    f" SELECT s.cluster_id, s.challenge_id, s.value, %s {join}"
                    " WHERE p.id IS NULL OR p.value <> s.value",
                    [stamp],
                )
                tier = _TIER_SQL.format(challenge="s.challenge_id", value="s.value")
                # `WHERE true` lets SQLite's parser tell the ON CONFLICT clause from a join.
                cursor.execute(
                    "INSERT INTO challenge_progress (cluster_id, challenge_id, value, current_tier, updated_at)"
                    f" SELECT s.cluster_id, s.challenge_id, s.value, {tier}, %s FROM {_STAGE} s WHERE true"
                    " ON CONFLICT (challenge_id, cluster_id) DO UPDATE SET value = excluded.value,"
                    " current_tier = excluded.current_tier, updated_at = excluded.updated_at"
                    " WHERE challenge_progress.value <> excluded.value",
                    [stamp],
                )
            return UpsertResult(int(inserted), int(updated), total - int(inserted) - int(updated))
        finally:
            drop_temp_table(cursor, _STAGE)


# --- CSV import --------------------------------------------------------------------------------

IMPORT_HEADER = ["cluster_id", "challenge_code", "value"]


class ImportValidationError(Exception):
    """The file has bad rows; `errors` holds one message per problem, each naming its line."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__(f"{len(errors)} error(s) in the import file")


def parse_progress_csv(stream: TextIO) -> list[tuple[str, str, int]]:
    """Validate every row of an import file and return `(cluster_id, challenge_code, value)` rows.

    Collects every problem (wrong header, blank or over-long cluster id, unknown challenge,
    a value that is not a non-negative 64-bit integer, a cluster and challenge already given
    on an earlier line) before raising ImportValidationError, so one run shows them all.
    """
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        raise ImportValidationError(["line 1: the file is empty; expected the header cluster_id,challenge_code,value"])
    normalized = [column.strip().lstrip("\ufeff") for column in header]
    if normalized != IMPORT_HEADER:
        got = ",".join(header)
        raise ImportValidationError([f"line 1: expected the header cluster_id,challenge_code,value, got {got!r}"])

    known_codes = set(Challenge.objects.values_list("code", flat=True))
    errors: list[str] = []
    rows: list[tuple[str, str, int]] = []
    first_seen: dict[tuple[str, str], int] = {}
    for fields in reader:
        line = reader.line_num
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) != 3:
            errors.append(f"line {line}: expected 3 fields (cluster_id,challenge_code,value), got {len(fields)}")
            continue
        cluster_id, code, raw_value = (f.strip() for f in fields)
        row_ok = True
        if problem := cluster_id_problem(cluster_id):
            errors.append(f"line {line}: {problem}")
            row_ok = False
        if code not in known_codes:
            errors.append(f"line {line}: unknown challenge_code {code!r}")
            row_ok = False
        if not raw_value.isascii() or not raw_value.isdigit() or int(raw_value) > BIGINT_MAX:
            errors.append(f"line {line}: value {raw_value!r} is not a non-negative integer")
            row_ok = False
        if not row_ok:
            continue
        key = (cluster_id, code)
        if key in first_seen:
            errors.append(
                f"line {line}: cluster {cluster_id!r} and challenge {code!r} already appear on line {first_seen[key]}"
            )
            continue
        first_seen[key] = line
        rows.append((cluster_id, code, int(raw_value)))
    if errors:
        raise ImportValidationError(errors)
    return rows


def import_progress(stream: TextIO, *, now: datetime.datetime | None = None) -> UpsertResult:
    """Validate a whole `cluster_id,challenge_code,value` file, then upsert it in one transaction.

    Nothing is written unless every row is valid. Sends `progress_changed` after the commit
    when anything changed, exactly as the ETL does. Raises ProgressWriteInProgress while an ETL
    run or another import is writing (PostgreSQL).
    """
    rows = parse_progress_csv(stream)
    ids = dict(Challenge.objects.values_list("code", "id"))
    with exclusive_progress_writes():
        now = now or timezone.now()
        with transaction.atomic():
            result = upsert_progress(((c, ids[code], v) for c, code, v in rows), now=now)
        if result.changed:
            codes = frozenset(code for _, code, _ in rows)
            change = ProgressChange(source="import", changed_since=now, challenge_codes=codes)
            hook_errors = notify_progress_changed(import_progress, change)
            result = dataclasses.replace(result, hook_errors=tuple(hook_errors))
    return result
