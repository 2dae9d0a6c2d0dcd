"""The Discord format: an event as a message a Discord webhook URL accepts (content + embeds within Discord's limits).

Limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits): content
2,000 characters, 10 embeds, 6,000 characters across a message's embeds, title 256, description
4,096, 25 fields, field name 256, field value 1,024, footer 2,048. Every text is cut with an
ellipsis to fit; a message is never refused for being long.
"""

from __future__ import annotations

from django.conf import settings

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBEDS_TOTAL_MAX = 6000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
ELLIPSIS = "…"
TOP_SHOWN = 10

# Embed colours: results green, failures red, the rest blue.
GREEN, RED, BLUE = 0x2ECC71, 0xE74C3C, 0x3498DB


def cut(text: str, limit: int) -> str:
    """`text` shortened to at most `limit` characters, ending with an ellipsis when cut."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def message(event_type: str, data: dict) -> dict:
    """The Discord message for an event of `event_type` with its envelope's `data`."""
    build = _BUILDERS.get(event_type, _generic)
    content, embed = build(event_type, data)
    return fit({"content": content, "embeds": [embed]})


def fit(body: dict) -> dict:
    """Cut every text of a message to Discord's limits, then the embeds to 6,000 characters in total."""
    body = {**body, "content": cut(body.get("content", ""), CONTENT_MAX)}
    embeds = []
    for embed in body.get("embeds", [])[:EMBEDS_MAX]:
        embed = dict(embed)
        if "title" in embed:
            embed["title"] = cut(embed["title"], TITLE_MAX)
        if "description" in embed:
            embed["description"] = cut(embed["description"], DESCRIPTION_MAX)
        if "footer" in embed:
            embed["footer"] = {"text": cut(embed["footer"]["text"], FOOTER_MAX)}
        embed["fields"] = [
            {**f, "name": cut(f["name"], FIELD_NAME_MAX) or "-", "value": cut(f["value"], FIELD_VALUE_MAX) or "-"}
            for f in embed.get("fields", [])[:FIELDS_MAX]
        ]
        embeds.append(embed)
    budget = EMBEDS_TOTAL_MAX
    for embed in embeds:
        budget = _fit_total(embed, budget)
    body["embeds"] = [e for e in embeds if e.get("title") or e.get("description") or e.get("fields")]
    return body


def embed_characters(embed: dict) -> int:
    """The characters Discord counts toward a message's 6,000: title, description, fields' names and values, footer."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    return total + len(embed.get("footer", {}).get("text", ""))


def _fit_total(embed: dict, budget: int) -> int:
    """Cut `embed` to what is left of the message's budget (title first, then description, fields, footer)."""
    for key in ("title", "description"):
        if key in embed:
            embed[key] = cut(embed[key], budget) if budget > 0 else ""
            budget -= len(embed[key])
    fields = []
    for f in embed.get("fields", []):
        if budget < 2:
            break
        name = cut(f["name"], max(1, budget // 2))
        value = cut(f["value"], budget - len(name))
        fields.append({**f, "name": name, "value": value})
        budget -= len(name) + len(value)
    embed["fields"] = fields
    if "footer" in embed:
        if budget > 0:
            embed["footer"] = {"text": cut(embed["footer"]["text"], budget)}
            budget -= len(embed["footer"]["text"])
        else:
            del embed["footer"]
    return budget


def _run_url(data: dict) -> str | None:
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    if not base or data.get("runId") is None:
        return None
    return f"{base}/leaderboards/{data['key']}/runs/{data['runId']}"


def _period(data: dict) -> str:
    return f"{data.get('periodStart', '?')} → {data.get('periodEnd', '?')}"


def _final_published(event_type: str, data: dict) -> tuple[str, dict]:
    lines = [f"**#{e['rank']}** {e['clusterId']} — {e['score']:,}" for e in data.get("top", [])[:TOP_SHOWN]]
    embed = {
        "title": f"Final standings: {data.get('name') or data.get('key')}",
        "description": f"Period {_period(data)}",
        "color": GREEN,
        "fields": [
            {"name": f"Top {len(lines)}", "value": "\n".join(lines) or "nobody ranked", "inline": False},
            {"name": "Entries", "value": f"{data.get('rowCount', 0):,}", "inline": True},
        ],
        "footer": {"text": f"{data.get('key')} · run {data.get('runId')}"},
    }
    if data.get("awardCount") is not None:
        embed["fields"].append({"name": "Awards", "value": f"{data['awardCount']:,}", "inline": True})
    if url := _run_url(data):
        embed["url"] = url
    return f"The final standings of **{data.get('name') or data.get('key')}** are out.", embed


def _season_finalized(event_type: str, data: dict) -> tuple[str, dict]:
    lines = [f"**#{i}** {e['clusterId']} — {e['points']:,} points" for i, e in enumerate(data.get("top", []), 1)]
    embed = {
        "title": f"Season final: {data.get('name') or data.get('seasonId')}",
        "description": f"{data.get('clusterCount', 0):,} clusters took part.",
        "color": GREEN,
        "fields": [{"name": f"Top {len(lines)}", "value": "\n".join(lines) or "nobody scored", "inline": False}],
        "footer": {"text": f"season {data.get('seasonId')}"},
    }
    return f"Season **{data.get('name') or data.get('seasonId')}** is final.", embed


def _generic(event_type: str, data: dict) -> tuple[str, dict]:
    failure = event_type.endswith("failed")
    fields = [
        {"name": key, "value": _text(value), "inline": not isinstance(value, (list, dict))}
        for key, value in data.items()
    ]
    embed = {"title": event_type, "color": RED if failure else BLUE, "fields": fields}
    return (f"hedge: **{event_type}**", embed)


def _text(value) -> str:
    if isinstance(value, list):
        return "\n".join(_text(v) for v in value) or "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "-"
    return "-" if value is None or value == "" else str(value)


_BUILDERS = {
    "leaderboard.final_published": _final_published,
    "season.finalized": _season_finalized,
}
