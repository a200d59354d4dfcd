"""zoned date-times: stored custom date-times without an offset get the organisation's

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 10:00:00

Custom date-time fields were stored as the browser's datetime-local sent them
("2026-03-01T10:00"), which means a different instant to each reader. They were typed
by people of the desk's organisation, so each is read as the organisation's wall time
(the settings row "timezone", else the TIMEZONE setting, else UTC) and written as RFC
3339 with that zone's offset on that date ("2026-03-01T10:00:00-03:00"). The fields are
found through each ticket's own form version (properties, group rows, conditional
branches and local $defs). Values that already have an offset, or are no date-time, are
left as they are. The downgrade keeps the offsets: the older code reads them too.
"""

import os
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from alembic import op
from flask import current_app, has_app_context
from sqlalchemy.dialects.postgresql import JSONB

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
tickets = sa.table(
    "tickets",
    sa.column("id", sa.Integer),
    sa.column("type_version_id", sa.Integer),
    sa.column("data", JSON),
)
versions = sa.table("ticket_type_versions", sa.column("id", sa.Integer), sa.column("schema", JSON))
settings = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.String))
BATCH = 500
MAX_DEPTH = 64  # schemas are limited far below this; a guard against $ref cycles


def organisation_zone(conn):
    """The zone the desk read its times in when these values were typed."""
    stored = conn.execute(sa.select(settings.c.value).where(settings.c.key == "timezone"))
    default = (
        current_app.config.get("BABEL_DEFAULT_TIMEZONE")
        if has_app_context()
        else os.environ.get("TIMEZONE", "").strip()
    )
    for name in (stored.scalar(), default):
        if not name:
            continue
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def date_time_paths(schema):
    """The paths (names, "*" for a group's rows) of the date-time fields a schema declares."""
    found = set()
    defs = schema.get("$defs") if isinstance(schema, dict) else None
    defs = defs if isinstance(defs, dict) else {}

    def walk(node, path, depth):
        if not isinstance(node, dict) or depth > MAX_DEPTH:
            return
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            walk(defs.get(ref[len("#/$defs/") :]), path, depth + 1)
        if node.get("format") == "date-time" and path:
            found.add(path)
        properties = node.get("properties")
        for name, sub in (properties.items() if isinstance(properties, dict) else ()):
            walk(sub, (*path, name), depth + 1)
        walk(node.get("items"), (*path, "*"), depth + 1)
        for key in ("then", "else"):
            walk(node.get(key), path, depth + 1)
        for sub in node.get("allOf") if isinstance(node.get("allOf"), list) else ():
            walk(sub, path, depth + 1)
        branches = node.get("dependentSchemas")
        for sub in branches.values() if isinstance(branches, dict) else ():
            walk(sub, path, depth + 1)

    walk(schema, (), 0)
    return found


def zoned(value, zone):
    """An offset-less date-time as RFC 3339 with the zone's offset; anything else as is."""
    if not isinstance(value, str) or len(value) < 16 or len(value) > 40 or value[10] not in "Tt ":
        return value
    tail = value[16:]
    if tail.endswith(("Z", "z")) or (len(tail) >= 6 and tail[-6] in "+-"):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        return value
    return moment.replace(tzinfo=zone).isoformat()


def rewrite(node, path, zone):
    """The value with each date-time at ``path`` zoned; returns (new value, changed)."""
    if not path:
        new = zoned(node, zone)
        return new, new != node
    head, rest = path[0], path[1:]
    if head == "*":
        if not isinstance(node, list):
            return node, False
        out, changed = [], False
        for item in node:
            new, did = rewrite(item, rest, zone)
            out.append(new)
            changed = changed or did
        return out, changed
    if not isinstance(node, dict) or head not in node:
        return node, False
    new, changed = rewrite(node[head], rest, zone)
    if not changed:
        return node, False
    return {**node, head: new}, True


def upgrade():
    conn = op.get_bind()
    paths_of = {}
    for version_id, schema in conn.execute(sa.select(versions.c.id, versions.c.schema)):
        paths = date_time_paths(schema)
        if paths:
            paths_of[version_id] = sorted(paths)
    if not paths_of:
        return
    zone = organisation_zone(conn)
    last = 0
    while True:
        rows = conn.execute(
            sa.select(tickets.c.id, tickets.c.type_version_id, tickets.c.data)
            .where(tickets.c.id > last, tickets.c.type_version_id.in_(list(paths_of)))
            .order_by(tickets.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for ticket_id, version_id, data in rows:
            last = ticket_id
            changed = False
            for path in paths_of[version_id]:
                data, did = rewrite(data, path, zone)
                changed = changed or did
            if changed:
                conn.execute(tickets.update().where(tickets.c.id == ticket_id).values(data=data))


def downgrade():
    pass
