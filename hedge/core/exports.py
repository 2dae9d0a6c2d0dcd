"""CSV downloads streamed row by row: memory stays flat however many rows a run or a season has.

Values are written through defusedcsv, which prefixes a text value starting with `=`, `+`, `-`,
`@`, `|` or `%` with `'`, so a spreadsheet shows it instead of running it as a formula (numbers,
negative ones included, are left alone).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from defusedcsv import csv
from django.http import StreamingHttpResponse

# Rows fetched per round trip from the database's cursor.
CHUNK_SIZE = 5_000


class _Line:
    """A file-like object whose write() hands back the line instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    """The header line, then one spreadsheet-safe CSV line per row, produced as `rows` is consumed."""
    writer = csv.writer(_Line())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


def streaming_csv(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> StreamingHttpResponse:
    """A download of `rows` as `filename`; `rows` should be lazy (QuerySet.iterator) to keep memory flat."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
