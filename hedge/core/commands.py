"""Argument types shared by management commands."""

import argparse


def at_least_one(raw: str) -> int:
    """`type=` of a count argument: a whole number of at least 1, or argparse's usage error naming the value."""
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number of at least 1")
    return value
