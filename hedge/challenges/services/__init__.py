"""Writes to the challenge substrate, one module per concern; import from the modules themselves."""
