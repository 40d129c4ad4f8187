"""A scorecard compiled to SQL: a whole village scored in one ``INSERT … SELECT`` (PostgreSQL).

``rating.engine.score`` is the reference: it rates one household when asked, explains any
stored result, and rates a batch on SQLite. A county run on PostgreSQL instead hands each
village to the database in one statement: the features of ``features_sql`` (the SQL twins of
``rating.features``), each indicator's bins or categories as a ``CASE``, adjustments, knock-outs,
flags, the clamp to the card's bounds and the grade bands — written straight into the results
table in the row format the Python path writes (same JSON lists; the values used as a text
array, ``feature_values``, where the Python path keeps them in the breakdown's JSON —
``results_sql.kept_values`` reads either), so a result reads, explains and publishes the same
whichever path produced it. No row travels to
Python and back, which is what lets a county run approach the speed of one read plus one COPY.

The compiler only accepts what it can translate exactly; for anything else (a feature without an
SQL twin, a knock-out operator on a kind of value it does not cover) ``compile_card`` returns
``None`` and the run uses the Python path for that card. ``rating/tests/test_scoring_sql.py``
rates random archives both ways and requires equal results.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rating import engine
from rating.engine import NO_BAND
from rating.engine.numbers import _category_key, _decimal
from rating.features import FeatureRules
from rating.features_sql import (
    COUNT,
    FLAG,
    NUMBER,
    TEXT,
    RuleNotTranslatable,
    entity_feature_sql,
    household_feature_sql,
)
from rating.models import RatingResult
from rating.results_sql import RESULT_COLUMNS, archive_read_sql, breakdown_order

NUMERIC = (NUMBER, COUNT)


class NotCompilable(Exception):
    """A card construct the compiler does not translate (the Python path rates it)."""


@dataclass(frozen=True)
class CompiledCard:
    """The SELECT lists that turn a row of features (columns ``f_<feature>``) into the result
    columns after ``run_id, village_id, household_id, business_entity_id``."""

    kind: str
    features: tuple[str, ...]  # the feature columns the expressions read
    bands: str  # SELECT list over ``f``: b_<i> (indicator bands), p_<n+j> (adjustment points)
    # and the knock-out and flag code arrays
    points: str  # SELECT list over ``b``: p_<i> and h_<i> (indicator points and hint
    # targets from the bands) and the missing array
    score: str  # the clamped total over ``q`` (the row of features, bands and points)
    columns: str  # kind, score, grade, knocked_out, knock_outs, incomplete, missing, flags,
    # breakdown, points, codes, engine_version, feature_values — as SQL over ``s``
    rules: FeatureRules  # the card's feature rules, which the features' SELECT must apply


def compile_card(
    card: engine.Scorecard, feature_sql: dict[str, tuple[str, str]]
) -> CompiledCard | None:
    try:
        return _compile(card, feature_sql)
    except NotCompilable:
        return None


def household_card(card: engine.Scorecard) -> CompiledCard | None:
    """The household card compiled, its features computed under the card's own rules."""
    try:
        return compile_card(card, household_feature_sql(card.rules))
    except RuleNotTranslatable:
        return None


def entity_card(card: engine.Scorecard) -> CompiledCard | None:
    try:
        return compile_card(card, entity_feature_sql(card.rules))
    except RuleNotTranslatable:
        return None


# --- literals ---------------------------------------------------------------------------------


def _num(value: Any) -> str:
    number = _decimal(value)
    if number is None or not number.is_finite():
        raise NotCompilable(f"not a finite number: {value!r}")
    return f"{number}::numeric"


def _text(value: str) -> str:
    """A string literal inside a statement run with named parameters (``%`` doubled)."""
    if "\x00" in value:
        raise NotCompilable("a NUL character in a label")
    return "'" + value.replace("'", "''").replace("%", "%%") + "'"


def _col(feature: str) -> str:
    return f"f.f_{feature}"


# --- the compiler -----------------------------------------------------------------------------


def _compile(card: engine.Scorecard, feature_sql: dict[str, tuple[str, str]]) -> CompiledCard:
    values, _ = breakdown_order(card)
    needed = set(values)
    unknown = needed - feature_sql.keys()
    if unknown:
        raise NotCompilable(f"no SQL for features {sorted(unknown)}")
    kinds = {f: feature_sql[f][1] for f in needed}

    n = len(card.indicators)
    band_exprs: list[str] = []  # b_<i>: the band each indicator matched (NO_BAND: missing)
    point_exprs: list[str] = []  # p_<i>: its points, from the band
    hint_exprs: list[str] = []  # h_<i>: its hint target, from the band
    missing: list[tuple[str, str]] = []  # (condition, feature) in the engine's order
    for i, indicator in enumerate(card.indicators):
        band_exprs.append(_indicator(indicator, kinds[indicator.feature]))
        options: Sequence[engine.Category | engine.Bin] = indicator.categories or indicator.bins
        point_exprs.append(
            _switch(f"b.b_{i}", [(k, _num(o.points)) for k, o in enumerate(options)], "0::numeric")
        )
        targets = [(k, engine.hint_target(indicator, k)) for k in range(len(options))]
        hint_exprs.append(
            _switch(f"b.b_{i}", [(k, str(t)) for k, t in targets if t != NO_BAND], str(NO_BAND))
        )
        missing.append((f"b.b_{i} = {NO_BAND}", indicator.feature))
    adjustment_exprs: list[str] = []  # p_<n+j>
    for adjustment in card.adjustments:
        adjustment_exprs.append(_adjustment(adjustment, kinds[adjustment.feature]))
        missing.append((f"b.f_{adjustment.feature} IS NULL", adjustment.feature))
    scored = {f for _, f in missing}
    codes = [rule.code for rule in card.knock_outs]
    for code in set(codes):
        first, last = codes.index(code), len(codes) - 1 - codes[::-1].index(code)
        if any(c != code for c in codes[first:last]):
            # the engine lists codes in the order rules *fire*: with another code between two
            # rules of one code, that order depends on the subject
            raise NotCompilable(f"knock-out code {code} split by another")
    knock_outs: dict[str, list[str]] = {}  # code → conditions, in first-seen order
    for rule in card.knock_outs:
        knock_outs.setdefault(rule.code, []).append(
            f"COALESCE({_knock_out(rule, kinds[rule.feature])}, FALSE)"
        )
        if rule.feature not in scored:
            scored.add(rule.feature)
            missing.append((f"b.f_{rule.feature} IS NULL", rule.feature))
    flags = [(f"{_col(f.feature)} IS TRUE", f.code) for f in card.flags if kinds[f.feature] == FLAG]

    total = " + ".join(f"q.p_{i}" for i in range(n + len(adjustment_exprs))) or "0"
    bands_sql = ", ".join(
        [
            *(f"{expr} AS b_{i}" for i, expr in enumerate(band_exprs)),
            *(f"{expr} AS p_{n + j}" for j, expr in enumerate(adjustment_exprs)),
            _array([(" OR ".join(conds), code) for code, conds in knock_outs.items()], "ko_codes"),
            _array(flags, "flag_codes"),
        ]
    )
    points_sql = ", ".join(
        [
            *(f"{expr} AS p_{i}" for i, expr in enumerate(point_exprs)),
            *(f"{expr} AS h_{i}" for i, expr in enumerate(hint_exprs)),
            _array(missing, "missing"),
        ]
    )
    ko_grade, grade = _band_sql(card, _num(card.min_score)), _band_sql(card, "s.score")
    score = f"LEAST(GREATEST({total}, {_num(card.min_score)}), {_num(card.max_score)})"
    # the card version as a constant; the values as text (``results_sql.kept_values``)
    breakdown = _text(json.dumps({"card": card.version}, ensure_ascii=False)) + "::jsonb"
    kept = ", ".join(_text_value(f, kinds[f]) for f in values)
    points = ", ".join(f"s.p_{i}" for i in range(n + len(adjustment_exprs)))
    codes_list = ", ".join([*(f"s.b_{i}" for i in range(n)), *(f"s.h_{i}" for i in range(n))])
    columns = ", ".join(
        [
            _text(card.kind),
            "s.score",
            f"CASE WHEN cardinality(s.ko_codes) > 0 THEN {ko_grade} ELSE {grade} END",
            "cardinality(s.ko_codes) > 0",
            _json_list("s.ko_codes"),
            "cardinality(s.missing) > 0",
            _json_list("s.missing"),
            _json_list("s.flag_codes"),
            breakdown,
            f"ARRAY[{points}]::numeric[]",
            f"ARRAY[{codes_list}]::integer[]",
            str(engine.ENGINE_VERSION),
            f"ARRAY[{kept}]::text[]",
        ]
    )
    return CompiledCard(
        kind=card.kind,
        features=tuple(values),
        bands=bands_sql,
        points=points_sql,
        score=score,
        columns=columns,
        rules=card.rules,
    )


def _switch(band: str, cases: Sequence[tuple[int, str]], default: str) -> str:
    """``CASE band WHEN k THEN value … ELSE default END`` (just ``default`` with no case)."""
    if not cases:
        return default
    whens = " ".join(f"WHEN {k} THEN {value}" for k, value in cases)
    return f"CASE {band} {whens} ELSE {default} END"


def _array(items: Sequence[tuple[str, str]], name: str) -> str:
    """A text array of the labels whose condition holds, in order. Most subjects have none
    (no knock-out, no flag, nothing missing): for them no array is built and emptied, only
    the conditions tested (``OR`` stops at the first that holds)."""
    if not items:
        return f"ARRAY[]::text[] AS {name}"
    cases = ", ".join(f"CASE WHEN {cond} THEN {_text(label)} END" for cond, label in items)
    some = " OR ".join(f"({cond}) IS TRUE" for cond, _ in items)
    return (
        f"CASE WHEN {some} THEN array_remove(ARRAY[{cases}]::text[], NULL) "
        f"ELSE ARRAY[]::text[] END AS {name}"
    )


def _json_list(array: str) -> str:
    """``to_jsonb`` of a text array, without building JSON for an empty one (most are)."""
    return f"CASE WHEN cardinality({array}) = 0 THEN '[]'::jsonb ELSE to_jsonb({array}) END"


def _indicator(indicator: engine.Indicator, kind: str) -> str:
    """The band one indicator matches — the place of the engine's ``_score_indicator``'s
    category or bin in the card — or ``NO_BAND`` (missing: no value, or one the card does not
    know)."""
    col = _col(indicator.feature)
    if indicator.categories:
        if kind == TEXT:  # (a value listed twice: CASE takes the first, as the engine)
            whens = " ".join(
                f"WHEN {_text(c.value)} THEN {k}" for k, c in enumerate(indicator.categories)
            )
            return f"CASE {col} {whens} ELSE {NO_BAND} END"
        if kind == FLAG:
            places: dict[str, int] = {}
            for k, c in enumerate(indicator.categories):
                places.setdefault(c.value, k)
            tests = [(v, t) for v, t in (("true", col), ("false", f"NOT {col}")) if v in places]
            whens = " ".join(f"WHEN {t} THEN {places[v]}" for v, t in tests)
            return f"CASE {whens} ELSE {NO_BAND} END" if whens else str(NO_BAND)
        raise NotCompilable("categories on a number")  # str(Decimal) keys: not worth it
    if kind not in NUMERIC:
        raise NotCompilable("bins on a category")
    whens = " ".join(
        f"WHEN {_bin_condition(indicator, b, col)} THEN {k}" for k, b in enumerate(indicator.bins)
    )
    return f"CASE {whens} ELSE {NO_BAND} END" if whens else str(NO_BAND)


def _bin_condition(indicator: engine.Indicator, b: engine.Bin, col: str) -> str:
    parts = []
    if indicator.right_closed:
        if b.low is not None:
            parts.append(f"{col} > {_num(b.low)}")
        if b.high is not None:
            parts.append(f"{col} <= {_num(b.high)}")
    else:
        if b.low is not None:
            parts.append(f"{col} >= {_num(b.low)}")
        if b.high is not None:
            parts.append(f"{col} < {_num(b.high)}")
    return "(" + (" AND ".join(parts) or f"{col} IS NOT NULL") + ")"


def _adjustment(adjustment: engine.Adjustment, kind: str) -> str:
    if kind != COUNT:
        raise NotCompilable("adjustments count whole numbers")
    col = _col(adjustment.feature)
    points = f"({_num(adjustment.points_each)} * GREATEST(COALESCE({col}, 0), 0))"
    if adjustment.limit is not None:
        limit = _num(adjustment.limit)
        points = (
            f"(CASE WHEN abs({points}) > {limit} THEN sign({points}) * {limit} ELSE {points} END)"
        )
    return points


def _knock_out(rule: engine.KnockOut, kind: str) -> str:
    """The engine's ``_knocks_out`` for one kind of value (NULL = the value is missing)."""
    col, op, value = _col(rule.feature), rule.operator, rule.value
    if op == "true":
        return f"({col} IS TRUE)" if kind == FLAG else "FALSE"
    if kind == FLAG:
        # a yes/no value is never a number to the engine (eq/ne/lt/… never hold), only "in"
        return _flag_in(col, {_category_key(v) for v in value}) if op == "in" else "FALSE"
    if kind == TEXT:
        if op == "in":
            keys = ", ".join(_text(_category_key(v)) for v in value)
            return f"({col} IN ({keys}))" if keys else "FALSE"
        if op in ("eq", "ne"):  # a category is compared as text, whatever the rule's value
            return f"({col} {'=' if op == 'eq' else '<>'} {_text(_category_key(value))})"
        raise NotCompilable("a number test on a category")
    # numbers
    if op == "in":
        raise NotCompilable("a category test on a number")
    if op == "outside":
        low, high = (_decimal(v) for v in value)
        parts = []
        if low is not None:
            parts.append(f"{col} < {_num(low)}")
        if high is not None:
            parts.append(f"{col} > {_num(high)}")
        return "(" + " OR ".join(parts) + ")" if parts else "FALSE"
    limit = _decimal(value)
    if limit is None:
        return "FALSE"
    sign = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}[op]
    return f"({col} {sign} {_num(limit)})"


def _flag_in(col: str, keys: set[str]) -> str:
    tests = []
    if "true" in keys:
        tests.append(f"{col}")
    if "false" in keys:
        tests.append(f"NOT {col}")
    return "(" + (" OR ".join(tests) or "FALSE") + ")"


def _band_sql(card: engine.Scorecard, total: str) -> str:
    """The engine's ``_band_for``: the first band holding the total, else the lowest."""
    whens = []
    for band in card.grades:
        parts = []
        if band.low is not None:
            parts.append(f"{total} >= {_num(band.low)}")
        if band.high is not None:
            parts.append(f"{total} < {_num(band.high)}")
        whens.append(f"WHEN {' AND '.join(parts) or 'TRUE'} THEN {_text(band.grade)}")
    lowest = min(card.grades, key=lambda g: Decimal("-Infinity") if g.low is None else g.low)
    return f"CASE {' '.join(whens)} ELSE {_text(lowest.grade)} END"


def _text_value(feature: str, kind: str) -> str:
    """A feature value as text, as ``results_sql.kept_values`` reads it back: numbers as exact
    decimal text (as the Python path's JSON keeps them), counts as digits, yes/no as
    ``true``/``false``, categories as themselves."""
    col = f"s.f_{feature}"
    return col if kind == TEXT else f"{col}::text"


# --- the statement ----------------------------------------------------------------------------


def _select_sql(compiled: CompiledCard, source: str, subject_column: str) -> str:
    """The result rows (``RESULT_COLUMNS``) of every row of ``source``."""
    return f"""
        SELECT %(run)s::bigint, %(village)s::bigint,
               {"s.subject_id" if subject_column == "household_id" else "NULL::bigint"},
               {"s.subject_id" if subject_column == "business_entity_id" else "NULL::bigint"},
               {compiled.columns}
        FROM (
            SELECT q.*, {compiled.score} AS score FROM (
                SELECT b.*, {compiled.points} FROM (
                    SELECT f.*, {compiled.bands} FROM ({source} OFFSET 0) f OFFSET 0
                ) b OFFSET 0
            ) q OFFSET 0
        ) s
    """  # noqa: S608
    # ``OFFSET 0`` keeps each level a subquery of its own: flattened, PostgreSQL would inline
    # every feature expression into every CASE that reads it, and every band CASE into the
    # points, the hints and the missing list, and compute them many times per row.


def insert_sql(
    compiled: CompiledCard, source: str, *, subject_column: str, read_part: str = ""
) -> str:
    """``INSERT`` of the results of every row of ``source`` (a SELECT giving ``subject_id`` and
    the ``f_<feature>`` columns). Parameters ``%(run)s`` and ``%(village)s`` as well as the
    source's own. With ``read_part`` (an SQL text expression: the part of the chunk read), the
    same statement records its archive read on the chunk (``results_sql.archive_read_sql``)."""

    table = RatingResult._meta.db_table
    read = f"WITH archive_read AS ({archive_read_sql(read_part)})" if read_part else ""
    return f"""
        {read}
        INSERT INTO {table} ({", ".join(RESULT_COLUMNS)})
        {_select_sql(compiled, source, subject_column)}
    """


@dataclass(frozen=True)
class Part:
    """One kind of subject of a village, for ``village_sql``: its compiled card, the SELECT of
    its features (``household_features_sql`` / ``entity_features_sql``), the result column
    naming the subject and the name under which the chunk records the read."""

    compiled: CompiledCard
    source: str
    subject_column: str
    read_part: str


def village_sql(parts: Sequence[Part], skipped: str) -> str:
    """ONE statement rating a village: it records the archive read of every part on the chunk
    (one snapshot for all: the statement's), inserts the results of all parts, and returns
    the chunk's counts — ``(kind, grade, n, knocked out, incomplete)`` per kind and grade of
    the rows it inserted — and a last row ``(NULL, NULL, skipped, 0, 0)`` whose ``skipped``
    is the value of the SQL expression ``skipped`` (the households not rated). Parameters
    ``%(run)s``, ``%(village)s`` and the sources' own."""
    table = RatingResult._meta.db_table
    read = archive_read_sql(*(_text(p.read_part) for p in parts))
    selects = " UNION ALL ".join(_select_sql(p.compiled, p.source, p.subject_column) for p in parts)
    return f"""
        WITH archive_read AS ({read}),
        rated AS (
            INSERT INTO {table} ({", ".join(RESULT_COLUMNS)})
            {selects}
            RETURNING kind, grade, knocked_out, incomplete
        )
        SELECT kind, grade, COUNT(*), COUNT(*) FILTER (WHERE knocked_out),
               COUNT(*) FILTER (WHERE incomplete)
        FROM rated GROUP BY kind, grade
        UNION ALL
        SELECT NULL, NULL, ({skipped}), 0, 0
    """  # noqa: S608
