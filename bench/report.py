"""The benchmark's one table, as plain text (also valid Markdown, for docs/benchmarks.md)."""

from __future__ import annotations


def _seconds(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def _latency(side: dict) -> str:
    return f"{side['p50_ms']:.1f} / {side['p99_ms']:.1f}"


def table_rows(report: dict) -> list[list[str]]:
    seed = report.get("seed")
    rows = []
    if seed:
        rows.append(
            [
                f"seed {seed['clusters']:,} clusters x {seed['challenges']} challenges"
                f" ({seed['progress_rows']:,} rows; + VACUUM ANALYZE {seed['vacuum_analyze_seconds']:.1f} s)",
                _seconds(seed["seconds"]),
                "",
                "",
                "",
                "",
            ]
        )
    for op in report["operations"]:
        hedge, floor, ratio = op["hedge"], op["floor"], op["ratio"]
        ratio_text = "" if ratio is None else f"{ratio:.2f}"
        if op["kind"] == "http":
            rows.append(
                [
                    op["operation"],
                    f"{hedge['rps']:.0f} req/s",
                    f"{floor['rps']:.0f} req/s",
                    ratio_text,
                    _latency(hedge),
                    _latency(floor),
                ]
            )
        else:
            rows.append([op["operation"], _seconds(hedge["median"]), _seconds(floor["median"]), ratio_text, "", ""])
    return rows


HEADER = ["operation", "hedge (median)", "floor (median)", "hedge/floor", "hedge p50/p99 ms", "floor p50/p99 ms"]


def format_table(report: dict) -> str:
    """A Markdown table: time ratios for data work (lower is better), throughput ratios for HTTP (higher is better)."""
    rows = [HEADER, *table_rows(report)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]

    def line(cells: list[str]) -> str:
        padded = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "| " + " | ".join(padded) + " |"

    separator = "|" + "|".join(("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":") for i, w in enumerate(widths)) + "|"
    legend = (
        "hedge/floor: time ratio for data work (1.00 = the floor, lower is better);"
        " requests/s ratio for HTTP (1.00 = the floor, higher is better)."
    )
    return "\n".join([line(rows[0]), separator, *(line(r) for r in rows[1:]), "", legend])
