"""Import of challenge progress from a `cluster_id,challenge_code,value` CSV file, in constant memory.

One pass over the file checks each row and streams the good ones, with their line numbers, into
the staging table (COPY on PostgreSQL); a (challenge, cluster) given twice is then found by one
SQL statement. The whole import is one transaction, so any error writes nothing. Memory does not
grow with the file: rows are never collected in Python, and of a file full of errors only the
first MAX_REPORTED_ERRORS are kept (with the count of all of them).
"""

import csv
import dataclasses
import datetime
import heapq
from collections.abc import Iterable, Iterator

from django.db import connection, transaction
from django.utils import timezone

from hedge.core.clusters import cluster_id_problem
from hedge.core.db import bulk_load, create_temp_table, drop_temp_table

from .. import sql
from ..models import MAX_PROGRESS_VALUE, Challenge
from ..signals import ProgressChange, notify_progress_changed
from .history import create_history_partitions
from .locks import exclusive_progress_writes
from .upsert import UpsertResult, write_staged_progress

IMPORT_HEADER = ["cluster_id", "challenge_code", "value"]
# Enough to show what is wrong with a file; a file of ten million bad rows must not hold ten
# million messages.
MAX_REPORTED_ERRORS = 1000
_STAGED_COLUMNS = ("line", "cluster_id", "challenge_id", "value")


class ImportValidationError(Exception):
    """The file has bad rows: `errors` holds a message per problem (the first MAX_REPORTED_ERRORS, by line), each
    naming its line; `count` is how many problems there are in all."""

    def __init__(self, errors: list[str], *, count: int | None = None):
        self.errors = errors
        self.count = len(errors) if count is None else count
        super().__init__(f"{self.count} error(s) in the import file")


@dataclasses.dataclass
class _Findings:
    """What the pass over the file found besides good rows: the first errors (line, message), and the challenges."""

    errors: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    error_count: int = 0
    challenge_codes: set[str] = dataclasses.field(default_factory=set)

    def add(self, line: int, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append((line, f"line {line}: {message}"))

    def fail_if_any(self, *more: tuple[int, str], more_count: int = 0) -> None:
        count = self.error_count + more_count
        if count:
            merged = heapq.merge(self.errors, more, key=lambda error: error[0])  # both are in line order
            raise ImportValidationError([message for _, message in merged][:MAX_REPORTED_ERRORS], count=count)


def import_progress(stream: Iterable[str] | Iterable[bytes], *, now: datetime.datetime | None = None) -> UpsertResult:
    """Check every row, then upsert them all in one transaction and send `progress_changed` as the ETL does.

    `stream` yields the file's lines, as text or (better: then a line that is not UTF-8 is reported
    with its number) as bytes: a file opened in binary mode. Raises ImportValidationError, having
    written nothing, when any row is bad; ProgressWriteInProgress at once while the ETL writes.
    """
    challenge_ids = dict(Challenge.objects.values_list("code", "id"))
    with exclusive_progress_writes():
        now = now or timezone.now()
        create_history_partitions(now=now)  # its rows' month gets its partition before they are written
        findings = _Findings()
        with transaction.atomic(), connection.cursor() as cursor:
            create_temp_table(cursor, sql.PROGRESS_STAGE, sql.IMPORT_STAGE_COLUMNS)
            try:
                reader = csv.reader(_text_lines(stream, findings))
                _check_header(reader, findings)
                rows = _checked_rows(reader, challenge_ids, findings)
                total = bulk_load(cursor, sql.PROGRESS_STAGE, _STAGED_COLUMNS, rows)
                cursor.execute(sql.DUPLICATE_STAGED_LINES, {"limit": MAX_REPORTED_ERRORS})
                duplicates = cursor.fetchall()
                findings.fail_if_any(
                    *(
                        (
                            line,
                            f"line {line}: cluster {cluster!r} and challenge {code!r} already appear on line {first}",
                        )
                        for line, cluster, code, first, _ in duplicates
                    ),
                    more_count=duplicates[0][4] if duplicates else 0,
                )
                result = write_staged_progress(cursor, total=total, now=now)
            finally:
                drop_temp_table(cursor, sql.PROGRESS_STAGE)
        if result.changed:
            change = ProgressChange(
                source="import", changed_since=now, challenge_codes=frozenset(findings.challenge_codes)
            )
            hook_errors = notify_progress_changed(import_progress, change)
            result = dataclasses.replace(result, hook_errors=tuple(hook_errors))
    return result


def _text_lines(stream: Iterable[str] | Iterable[bytes], findings: _Findings) -> Iterator[str]:
    """The file's lines as text, without a leading byte-order mark; a line that is not UTF-8 is an error naming it.

    Decoding line by line is what lets the error name the line (a decoder over the whole file knows
    only a buffer position); the bad line is read on with replacement characters, so the rest of
    the file is still checked.
    """
    for number, line in enumerate(stream, start=1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                findings.add(
                    number, f"not UTF-8 text (byte 0x{line[exc.start]:02x} at byte {exc.start + 1} of the line)"
                )
                line = line.decode("utf-8", errors="replace")
        yield line.removeprefix("\ufeff") if number == 1 else line


def _check_header(reader, findings: _Findings) -> None:
    header = next(reader, None)
    if header is None:
        findings.add(1, "the file is empty; expected the header cluster_id,challenge_code,value")
    elif [column.strip() for column in header] != IMPORT_HEADER:
        findings.add(1, f"expected the header cluster_id,challenge_code,value, got {','.join(header)!r}")
    else:
        return
    # Without the header the columns mean nothing: report what is known so far and stop.
    findings.fail_if_any()


def _value_problem(raw: str) -> str | None:
    if not (raw.isascii() and raw.isdigit()):
        return f"value {raw!r} is not a non-negative integer"
    # Digits first, so that a thousand-digit value never becomes a Python int.
    if len(raw.lstrip("0")) > len(str(MAX_PROGRESS_VALUE)) or int(raw) > MAX_PROGRESS_VALUE:
        shown = raw if len(raw) <= 40 else f"{raw[:20]}...({len(raw)} digits)"
        return f"value {shown!r} is above the maximum progress value {MAX_PROGRESS_VALUE:,}"
    return None


def _checked_rows(reader, challenge_ids: dict[str, int], findings: _Findings) -> Iterator[tuple[int, str, int, int]]:
    """`(line, cluster_id, challenge_id, value)` of each good row; each problem of a bad one goes to `findings`."""
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a field beyond csv.field_size_limit()
            findings.add(reader.line_num, f"not a CSV row: {exc}")
            continue
        line = reader.line_num
        if not fields or all(not field.strip() for field in fields):
            continue
        if len(fields) != 3:
            findings.add(line, f"expected 3 fields (cluster_id,challenge_code,value), got {len(fields)}")
            continue
        cluster_id, code, raw_value = (field.strip() for field in fields)
        problems = [
            cluster_id_problem(cluster_id),
            None if code in challenge_ids else f"unknown challenge_code {code!r}",
            _value_problem(raw_value),
        ]
        if any(problems):
            for problem in filter(None, problems):
                findings.add(line, problem)
            continue
        findings.challenge_codes.add(code)
        yield line, cluster_id, challenge_ids[code], int(raw_value)
