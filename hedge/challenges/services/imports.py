"""Import of challenge progress from a `cluster_id,challenge_code,value` CSV file."""

import csv
import dataclasses
import datetime
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from ..models import Challenge, cluster_id_problem
from ..signals import ProgressChange, notify_progress_changed
from .locks import exclusive_progress_writes
from .upsert import UpsertResult, upsert_progress

BIGINT_MAX = 2**63 - 1
IMPORT_HEADER = ["cluster_id", "challenge_code", "value"]


class ImportValidationError(Exception):
    """The file has bad rows; `errors` holds one message per problem, each naming its line."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__(f"{len(errors)} error(s) in the import file")


def parse_progress_csv(stream: TextIO) -> list[tuple[str, str, int]]:
    """The `(cluster_id, challenge_code, value)` rows of a file, or ImportValidationError naming every bad line."""
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
    """Validate the whole file, then upsert it in one transaction and send `progress_changed` as the ETL does."""
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
