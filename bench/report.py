"""The benchmark's one table, as plain text (also valid Markdown, for docs/benchmarks.md)."""

from __future__ import annotations


def _seconds(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def _latency(side: dict) -> str:
    return f"{side['p50_ms']:.1f} / {side['p99_ms']:.1f}"


def _spread(side: dict) -> str:
    """The median, and the lowest and highest of the runs when there are several: the machine's noise."""
    runs = side.get("runs") or []
    if len(runs) < 2:
        return _seconds(side["median"])
    return f"{_seconds(side['median'])} ({_seconds(min(runs))}-{_seconds(max(runs))})"


def table_rows(report: dict) -> list[list[str]]:
    seed = report.get("seed")
    rows = []
    if seed and seed.get("history_rows"):
        rows.append(
            [
                f"seed {seed['history_days']} days of history ({seed['history_rows']:,} rows)",
                _seconds(seed["history_seconds"]),
                "",
                "",
                "",
                "",
            ]
        )
    if seed:
        rows.insert(
            0,
            [
                f"seed {seed['clusters']:,} clusters x {seed['challenges']} challenges"
                f" ({seed['progress_rows']:,} rows; + VACUUM ANALYZE {seed['vacuum_analyze_seconds']:.1f} s)",
                _seconds(seed["seconds"]),
                "",
                "",
                "",
                "",
            ],
        )
    for op in report["operations"]:
        hedge, floor, ratio = op["hedge"], op["floor"], op["ratio"]
        ratio_text = "" if ratio is None else f"{ratio:.2f}"
        if op["kind"] == "load":
            rows.append(
                [
                    op["operation"],
                    f"{hedge['rps']:.0f} req/s, {hedge['errors']} errors",
                    f"{floor['rps']:.0f} req/s, {floor['errors']} errors",
                    ratio_text and f"p99 {ratio_text}",
                    _latency(hedge),
                    _latency(floor),
                ]
            )
        elif op["kind"] == "http":
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
            rows.append([op["operation"], _spread(hedge), _spread(floor), ratio_text, "", ""])
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
        " requests/s ratio for HTTP (1.00 = the floor, higher is better);"
        " load step: hedge's p99 / the bare views' p99 under the same mix (target at most 1.3);"
        " times are medians (lowest-highest run);"
        " exclusions: the floor column is hedge's same generation without exclusions (target at most 1.05)."
    )
    return "\n".join([line(rows[0]), separator, *(line(r) for r in rows[1:]), "", legend, *_details(report)])


def _details(report: dict) -> list[str]:
    """The lines under the table: bookkeeping steps, storage per entry, DAILY growth with history, skips."""
    lines = []
    for op in report["operations"]:
        if "steps_ms" in op:
            lines += ["", "hedge's top-1000 generation step by step (ms, medians of instrumented runs):"]
            lines += [f"  {label}: {ms:.2f}" for label, ms in op["steps_ms"].items()]
            micro = op["commit_micro_ms"]
            lines.append(
                f"a run row's INSERT committed on its own: {micro['insert_and_commit']:.2f} ms; inside a"
                f" transaction (no commit): {micro['insert_in_transaction']:.2f} ms; so a commit's WAL flush"
                f" ~{micro['flush']:.2f} ms."
            )
        if "steps_ms_one_run" in op:
            lines += ["", "one full ranking step by step (ms, one instrumented run):"]
            lines += [f"  {label}: {ms:.1f}" for label, ms in op["steps_ms_one_run"].items()]
        if op["kind"] == "load":
            target = f"{op['target']}; hedge's p99 / the bare views': {op['ratio']}"
            lines += ["", f"load step (cache: {op['cache']}): {target}."]
            for side in ("hedge", "floor"):
                figures_of = op[side]
                lines.append(f"  {side}: {figures_of['requests']:,} requests, {figures_of['errors']} errors")
                for kind, figures in figures_of.get("by_kind", {}).items():
                    lines.append(
                        f"    {kind}: {figures['requests']:,} requests, p50 {figures['p50_ms']:.1f} ms,"
                        f" p99 {figures['p99_ms']:.1f} ms"
                    )
                if figures_of.get("first_error"):
                    lines.append(f"    first error: {figures_of['first_error']}")
        if op.get("storage"):
            storage = op["storage"]
            lines += [
                "",
                "bytes per entry (pg_total_relation_size / rows, table + indexes):"
                f" lean {storage['lean_floor']['bytes_per_row']} (hedge's own table"
                f" {storage['hedge']['bytes_per_row']}), old layout {storage['legacy_layout']['bytes_per_row']}"
                f" (its ranking took {_seconds(storage['legacy_layout_seconds'])}, once).",
            ]
        if "per_board_ms" in op:
            per_board = op["per_board_ms"]
            lines += [
                "",
                f"generate_leaderboard --all over {op['boards']} boards: {per_board['hedge']:.1f} ms per board"
                f" (floor {per_board['floor']:.1f} ms); target {op['target']}.",
            ]
        if op.get("growth"):
            growth = op["growth"]
            lines += [
                "",
                f"DAILY all-ranks with {growth['from_days']} -> {growth['to_days']} days of history:"
                f" hedge x{growth['hedge']}, floor x{growth['floor']} ({growth['target']}).",
            ]
    for skipped in report.get("skipped") or []:
        lines.append(f"skipped {skipped['key']}: {skipped['reason']}")
    return lines
