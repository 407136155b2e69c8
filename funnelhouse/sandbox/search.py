"""`POST /crm/v3/objects/{type}/search`: filter groups (OR of ANDs), sorts, offset paging and HubSpot's
10,000-result ceiling, translated to one SQL query over the JSON properties.

Last-modified, create date and object id filter on indexed columns, so an incremental extract by
`hs_lastmodifieddate` stays fast on large worlds.
"""

from __future__ import annotations

from typing import Any

from funnelhouse.sandbox import catalog, records
from funnelhouse.sandbox.batching import parse_after, parse_limit
from funnelhouse.sandbox.errors import bad_request
from funnelhouse.sandbox.properties import PropertyCatalog
from funnelhouse.sandbox.storage import Store
from funnelhouse.sandbox.timefmt import ms_from_text, normalize_iso

MAX_LIMIT = 200
MAX_RESULTS = 10_000
MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 10
MAX_FILTERS = 25
_LAST_MODIFIED = ("lastmodifieddate", "hs_lastmodifieddate")
_CREATED = ("createdate", "hs_createdate")


class _Column:
    """How one property is compared in SQL: the expression and how filter values are converted."""

    def __init__(self, expr: str, kind: str, params: tuple = ()) -> None:
        self.expr, self.kind, self.params = expr, kind, params

    def value(self, raw: Any, name: str) -> Any:
        text = "" if raw is None else str(raw)
        try:
            if self.kind in ("ms", "id"):
                return ms_from_text(text) if self.kind == "ms" else int(text)
            if self.kind == "number":
                return float(text)
            if self.kind == "datetime":
                return normalize_iso(text)
        except ValueError:
            expected = {"ms": "epoch milliseconds or an ISO-8601 date", "id": "a numeric id"}.get(
                self.kind, self.kind
            )
            raise bad_request(f"Filter value {raw!r} for {name} is invalid: expected {expected}.") from None
        return text.lower()

    def sql(self) -> str:
        return f"lower({self.expr})" if self.kind == "string" else self.expr


def _column(properties: PropertyCatalog, object_type: str, name: str) -> _Column:
    if name == "hs_object_id":
        return _Column("id", "id")
    # Either spelling of the last-modified / create date works on every object type, as on HubSpot.
    if name in _LAST_MODIFIED:
        return _Column("updated_ms", "ms")
    if name in _CREATED:
        return _Column("created_ms", "ms")
    kind = properties.kind(object_type, name)
    if kind is None:
        raise bad_request(
            f"There was a problem with the request: property {name!r} does not exist on {object_type}."
        )
    if name == "email":
        return _Column("json_extract(properties, '$.email')", "string")
    expr = "json_extract(properties, ?)"
    path = (f'$."{name}"',)
    if kind == "number":
        return _Column(f"cast(nullif({expr}, '') as real)", "number", path)
    if kind in ("datetime", "date"):
        return _Column(expr, "datetime", path)
    return _Column(expr, "string", path)


_COMPARE = {"EQ": "=", "NEQ": "!=", "GT": ">", "GTE": ">=", "LT": "<", "LTE": "<="}


def _filter_sql(properties: PropertyCatalog, object_type: str, flt: Any) -> tuple[str, list[Any]]:
    if not isinstance(flt, dict) or not flt.get("propertyName") or not flt.get("operator"):
        raise bad_request(
            "Each filter must be an object with `propertyName` and `operator` (and `value`/`values`)."
        )
    name, operator = str(flt["propertyName"]), str(flt["operator"]).upper()
    col = _column(properties, object_type, name)
    expr, params = col.sql(), list(col.params)
    if operator in _COMPARE:
        if flt.get("value") is None:
            raise bad_request(f"Filter on {name} with operator {operator} needs a `value`.")
        return f"{expr} {_COMPARE[operator]} ?", [*params, col.value(flt["value"], name)]
    if operator in ("IN", "NOT_IN"):
        values = flt.get("values")
        if not isinstance(values, list) or not values:
            raise bad_request(f"Filter on {name} with operator {operator} needs a non-empty `values` list.")
        marks = ",".join("?" * len(values))
        negate = "not " if operator == "NOT_IN" else ""
        return f"{expr} {negate}in ({marks})", [*params, *(col.value(v, name) for v in values)]
    if operator == "BETWEEN":
        if flt.get("value") is None or flt.get("highValue") is None:
            raise bad_request(f"Filter on {name} with operator BETWEEN needs `value` and `highValue`.")
        return f"{expr} between ? and ?", [
            *params,
            col.value(flt["value"], name),
            col.value(flt["highValue"], name),
        ]
    if operator in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        present = f"({col.expr} is not null and {col.expr} != '')"
        return (present if operator == "HAS_PROPERTY" else f"not {present}"), [*params, *params]
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        token = str(flt.get("value") or "").lower().replace("*", "%")
        negate = "not " if operator.startswith("NOT") else ""
        return f"coalesce(lower({col.expr}), '') {negate}like ?", [*params, f"%{token}%"]
    raise bad_request(
        f"Unsupported filter operator {operator!r} on {name}; use EQ, NEQ, GT, GTE, LT, LTE, BETWEEN, IN, "
        "NOT_IN, "
        "HAS_PROPERTY, NOT_HAS_PROPERTY, CONTAINS_TOKEN or NOT_CONTAINS_TOKEN."
    )


def _where(properties: PropertyCatalog, object_type: str, body: dict[str, Any]) -> tuple[str, list[Any]]:
    groups = body.get("filterGroups") or []
    if not isinstance(groups, list):
        raise bad_request("`filterGroups` must be a list of {filters: [...]} objects.")
    if len(groups) > MAX_GROUPS:
        raise bad_request(f"At most {MAX_GROUPS} filterGroups are allowed, got {len(groups)}.")
    total = 0
    clauses, params = [], []
    for group in groups:
        filters = group.get("filters") if isinstance(group, dict) else None
        if not isinstance(filters, list):
            raise bad_request("Each filter group must be an object with a `filters` list.")
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise bad_request(
                f"At most {MAX_FILTERS_PER_GROUP} filters per group are allowed, got {len(filters)}."
            )
        total += len(filters)
        parts = []
        for flt in filters:
            sql, values = _filter_sql(properties, object_type, flt)
            parts.append(sql)
            params.extend(values)
        if parts:
            clauses.append("(" + " and ".join(parts) + ")")
    if total > MAX_FILTERS:
        raise bad_request(f"At most {MAX_FILTERS} filters in total are allowed, got {total}.")
    where = "(" + " or ".join(clauses) + ")" if clauses else "1 = 1"
    query = body.get("query")
    if query:
        names = [n for n in catalog.QUERY_PROPERTIES.get(object_type, ()) if properties.get(object_type, n)]
        if names:
            where += " and (" + " or ".join("lower(json_extract(properties, ?)) like ?" for _ in names) + ")"
            for name in names:
                params.extend([f'$."{name}"', f"%{str(query).lower()}%"])
    return where, params


def _order(properties: PropertyCatalog, object_type: str, sorts: Any) -> tuple[str, list[Any]]:
    if not sorts:
        return "id asc", []
    if not isinstance(sorts, list):
        raise bad_request("`sorts` must be a list of {propertyName, direction} objects.")
    terms, params = [], []
    for sort in sorts:
        if isinstance(sort, str):
            name, direction = sort.lstrip("-"), "DESCENDING" if sort.startswith("-") else "ASCENDING"
        elif isinstance(sort, dict) and sort.get("propertyName"):
            name, direction = str(sort["propertyName"]), str(sort.get("direction") or "ASCENDING").upper()
        else:
            raise bad_request(
                "Each sort must be {propertyName, direction} with direction ASCENDING or DESCENDING."
            )
        if direction not in ("ASCENDING", "DESCENDING"):
            raise bad_request(f"Sort direction {direction!r} is invalid; use ASCENDING or DESCENDING.")
        col = _column(properties, object_type, name)
        way = "asc" if direction == "ASCENDING" else "desc"
        if col.kind in ("id", "ms"):  # never null: a plain term lets SQLite walk the index in order
            terms.append(f"{col.expr} {way}")
            continue
        terms.append(f"({col.expr}) is null, {col.expr} {way}")
        params.extend([*col.params, *col.params])
    return ", ".join(terms) + ", id asc", params


def search(store: Store, properties: PropertyCatalog, object_type: str, body: Any) -> dict[str, Any]:
    """Run one search page; archived objects are never searchable."""
    if not isinstance(body, dict):
        raise bad_request("Invalid input JSON: the search body must be a JSON object.")
    limit = parse_limit(None if body.get("limit") is None else str(body.get("limit")), 10, MAX_LIMIT)
    offset = parse_after(body.get("after"))
    if offset >= MAX_RESULTS:
        raise bad_request(
            f"Search can page through at most {MAX_RESULTS} results (after={offset}); narrow the query, "
            "for example with a later lastmodifieddate/hs_lastmodifieddate window.",
        )
    where, params = _where(properties, object_type, body)
    order, order_params = _order(properties, object_type, body.get("sorts"))
    requested = body.get("properties") or None
    base = f"from objects where type = ? and archived = 0 and {where}"
    with store.reading() as conn:
        total = conn.execute(f"select count(*) {base}", (object_type, *params)).fetchone()[0]
        rows = conn.execute(
            f"select {records.COLUMNS} {base} order by {order} limit ? offset ?",
            (object_type, *params, *order_params, limit, offset),
        ).fetchall()
    results = [records.shape(properties, object_type, row, requested) for row in rows]
    answer: dict[str, Any] = {"total": total, "results": results}
    if offset + len(rows) < total:
        answer["paging"] = {"next": {"after": str(offset + len(rows)), "link": None}}
    return answer
