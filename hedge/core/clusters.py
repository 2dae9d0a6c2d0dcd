"""What a cluster id is: a group of wallets that belong to one person; hedge only ever sees its id."""

CLUSTER_ID_MAX_LENGTH = 128


def cluster_id_problem(cluster_id) -> str | None:
    """Why `cluster_id` is not a valid cluster id (blank, too long, not text), or None when it is."""
    if not isinstance(cluster_id, str):
        return f"cluster id {cluster_id!r} is not text"
    if not cluster_id.strip():
        return "cluster id is blank"
    if len(cluster_id) > CLUSTER_ID_MAX_LENGTH:
        return f"cluster id {cluster_id[:20]!r}... is longer than {CLUSTER_ID_MAX_LENGTH} characters"
    if "\x00" in cluster_id:
        return f"cluster id {cluster_id!r} contains a NUL character"
    return None
