"""The statements a product read runs, captured once and run again with a bare cursor.

A floor view must run hedge's SQL, never a copy of it (rule 13), but several of hedge's reads are
ORM querysets that exist only inside a selector. So the floor calls the selector once with
sentinel arguments (values no real request uses), records each statement Django sends with its
parameters, and remembers which parameter was which sentinel. A request then runs the same
statements with its own values in those places: hedge's SQL, without building it again.

Parameters that are not sentinels are constants of the statement (a `Value(0)`, a moment the
selector read from the clock when it was captured) and are sent as captured.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.db import connection


@dataclass(frozen=True)
class Statement:
    sql: str
    # Per parameter: the sentinel's name, or None for a constant (then `constants` holds it).
    slots: tuple | dict
    constants: tuple | dict

    def params(self, values: Mapping[str, object]) -> tuple | dict:
        if isinstance(self.slots, dict):
            return {
                key: (values[slot] if slot is not None else self.constants[key]) for key, slot in self.slots.items()
            }
        return tuple(
            values[slot] if slot is not None else constant
            for slot, constant in zip(self.slots, self.constants, strict=True)
        )


def _slot(value, names: dict) -> str | None:
    try:
        return names.get(value)
    except TypeError:  # an unhashable parameter (a list): a constant
        return None


def capture(call: Callable[..., object], sentinels: dict[str, object]) -> list[Statement]:
    """Run `call(**sentinels)` and return the statements it sent, with the sentinels' places marked.

    Sentinels must be distinct from each other and from any constant the statements carry.
    """
    names = {value: name for name, value in sentinels.items()}
    if len(names) != len(sentinels):
        raise RuntimeError("capture: two sentinels have the same value")
    captured: list[Statement] = []

    def wrapper(execute, sql, params, many, context):
        if isinstance(params, Mapping):
            slots = {key: _slot(value, names) for key, value in params.items()}
            constants = {key: value for key, value in params.items() if slots[key] is None}
        else:
            params = tuple(params or ())
            slots = tuple(_slot(value, names) for value in params)
            constants = tuple(None if slot else value for slot, value in zip(slots, params, strict=True))
        captured.append(Statement(sql=sql, slots=slots, constants=constants))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        call(**sentinels)
    return captured


def run(statement: Statement, values: Mapping[str, object]) -> tuple[list[str], list[tuple]]:
    """Execute `statement` with `values` in the sentinels' places; its column names and rows."""
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params(values))
        if cursor.description is None:
            return [], []
        return [column[0] for column in cursor.description], cursor.fetchall()
