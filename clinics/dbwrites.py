"""Many rows at once, for the batch writers (the follow-up sweep, the outbox).

``bulk_create`` prepares every value through its model field, and the driver then
parses a statement with thousands of placeholders: for a batch of a thousand rows that
costs more than the database's own work. ``insert_rows`` prepares each column once by
type. On PostgreSQL the rows go in with ``COPY`` (through a temporary table and one
``INSERT … SELECT … ON CONFLICT DO NOTHING`` when conflicts are to be skipped); other
databases (SQLite in development) get one multi-row ``INSERT``. The test suite runs on
both (SQLite locally, PostgreSQL in CI).
"""

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models

# Parameters per statement stay well under SQLite's limit (32,766 host parameters).
MAX_PARAMETERS = 30_000


def _converter(field: Any) -> Callable[[Any], Any] | None:
    """How a Python value of ``field`` goes to the database driver (None: as it is)."""
    internal = field.get_internal_type()
    if internal == "DateTimeField":
        adapt_datetime = connection.ops.adapt_datetimefield_value
        return lambda value: None if value is None else adapt_datetime(value)
    if internal == "DateField":
        return connection.ops.adapt_datefield_value
    if internal == "JSONField":
        encoder = field.encoder  # type: ignore[attr-defined]
        return lambda value: json.dumps(value, cls=encoder)
    return None


def insert_rows(
    model: type[models.Model],
    field_names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
    copy: bool = True,
) -> None:
    """INSERT ``rows`` (tuples of values in ``field_names`` order; a foreign key by its
    id) into ``model``'s table; with ``ignore_conflicts`` a row that breaks a unique
    constraint is skipped (``ON CONFLICT DO NOTHING``). ``copy=False``: one multi-row
    ``INSERT`` on PostgreSQL too, for a handful of rows (a page's read log), where
    ``COPY``'s extra round trip costs more than it saves."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)  # type: ignore[union-attr]
    converters = [(i, c) for i, field in enumerate(fields) if (c := _converter(field))]

    def prepared(row: Sequence[Any]) -> list[Any]:
        values = list(row)
        for i, convert in converters:
            values[i] = convert(values[i])
        return values

    if copy and connection.vendor == "postgresql":
        _copy_rows(table, columns, map(prepared, rows), ignore_conflicts=ignore_conflicts)
        return
    per_statement = max(1, MAX_PARAMETERS // len(fields))
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = [value for row in chunk for value in prepared(row)]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 - model names
                + ", ".join([row_sql] * len(chunk))
                + conflict,
                params,
            )


def _copy_rows(
    table: str, columns: str, rows: Iterable[Sequence[Any]], *, ignore_conflicts: bool
) -> None:
    """PostgreSQL: ``COPY`` the rows into ``table``, or into a temporary table first when
    rows that conflict are to be skipped."""
    with connection.cursor() as cursor:
        target = table
        if ignore_conflicts:
            target = connection.ops.quote_name("staging_rows")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {target} AS SELECT {columns} FROM {table} LIMIT 0"  # noqa: S608
            )
        with cursor.cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        if ignore_conflicts:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {target} "  # noqa: S608
                "ON CONFLICT DO NOTHING"
            )
            cursor.execute(f"DROP TABLE {target}")
