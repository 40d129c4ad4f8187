"""A scorecard compiled to SQL: a whole village scored in one ``INSERT … SELECT`` (PostgreSQL).

``rating.engine.score`` is the reference: it rates one household when asked, explains any
stored result, and rates a batch on SQLite. A county run on PostgreSQL instead hands each
village to the database in one statement: the features of ``features_sql`` (the SQL twins of
``rating.features``), each indicator's bins or categories as a ``CASE``, adjustments, knock-outs,
flags, the clamp to the card's bounds and the grade bands — written straight into the results
table in the very row format the Python path writes (same breakdown, same JSON lists), so a
result reads, explains and publishes the same whichever path produced it. No row travels to
Python and back, which is what lets a county run approach the speed of one read plus one COPY.

The compiler only accepts what it can translate exactly; for anything else (a feature without an
SQL twin, a knock-out operator on a kind of value it does not cover) ``compile_card`` returns
``None`` and the run uses the Python path for that card. ``rating/tests/test_scoring_sql.py``
rates random archives both ways and requires equal results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rating import engine
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
from rating.results_sql import RESULT_COLUMNS, breakdown_order

NUMERIC = (NUMBER, COUNT)


class NotCompilable(Exception):
    """A card construct the compiler does not translate (the Python path rates it)."""


@dataclass(frozen=True)
class CompiledCard:
    """The SELECT list that turns a row of features (columns ``f_<feature>``) into the
    result columns after ``run_id, village_id, household_id, business_entity_id``."""

    kind: str
    features: tuple[str, ...]  # the feature columns the expressions read
    columns: str  # kind, score, grade, knocked_out, knock_outs, incomplete, missing, flags,
    # breakdown — as SQL over ``s`` (features + per-indicator points + score)
    points: str  # SELECT list over ``f``: p_<i> (indicator, adjustment points) and code arrays
    score: str  # the clamped total over ``q`` (the row of features and points)
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

    point_exprs: list[str] = []  # p_<i>, in breakdown order (indicators, then adjustments)
    missing: list[tuple[str, str]] = []  # (condition, feature) in the engine's order
    for indicator in card.indicators:
        expr, missed = _indicator(indicator, kinds[indicator.feature])
        point_exprs.append(expr)
        missing.append((missed, indicator.feature))
    for adjustment in card.adjustments:
        expr, missed = _adjustment(adjustment, kinds[adjustment.feature])
        point_exprs.append(expr)
        missing.append((missed, adjustment.feature))
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
            missing.append((f"{_col(rule.feature)} IS NULL", rule.feature))
    flags = [(f"{_col(f.feature)} IS TRUE", f.code) for f in card.flags if kinds[f.feature] == FLAG]

    total = " + ".join(f"q.p_{i}" for i in range(len(point_exprs))) or "0"
    points_sql = ", ".join(
        [
            *(f"{expr} AS p_{i}" for i, expr in enumerate(point_exprs)),
            _array([(" OR ".join(conds), code) for code, conds in knock_outs.items()], "ko_codes"),
            _array(missing, "missing"),
            _array(flags, "flag_codes"),
        ]
    )
    ko_grade, grade = _band_sql(card, _num(card.min_score)), _band_sql(card, "s.score")
    score = f"LEAST(GREATEST({total}, {_num(card.min_score)}), {_num(card.max_score)})"
    breakdown = (
        f"jsonb_build_object('card', {_text(card.version)}, "
        f"'values', jsonb_build_array({', '.join(_json_value(f, kinds[f]) for f in values)}))"
    )
    columns = ", ".join(
        [
            _text(card.kind),
            "s.score",
            f"CASE WHEN cardinality(s.ko_codes) > 0 THEN {ko_grade} ELSE {grade} END",
            "cardinality(s.ko_codes) > 0",
            "to_jsonb(s.ko_codes)",
            "cardinality(s.missing) > 0",
            "to_jsonb(s.missing)",
            "to_jsonb(s.flag_codes)",
            breakdown,
        ]
    )
    return CompiledCard(
        kind=card.kind,
        features=tuple(values),
        columns=columns,
        points=points_sql,
        score=score,
        rules=card.rules,
    )


def _array(items: Sequence[tuple[str, str]], name: str) -> str:
    """A text array of the labels whose condition holds, in order."""
    if not items:
        return f"ARRAY[]::text[] AS {name}"
    cases = ", ".join(f"CASE WHEN {cond} THEN {_text(label)} END" for cond, label in items)
    return f"array_remove(ARRAY[{cases}]::text[], NULL) AS {name}"


def _indicator(indicator: engine.Indicator, kind: str) -> tuple[str, str]:
    """(points, missing condition) of one indicator, as the engine's ``_score_indicator``."""
    col = _col(indicator.feature)
    if indicator.categories:
        if kind == TEXT:
            whens = " ".join(
                f"WHEN {_text(c.value)} THEN {_num(c.points)}" for c in indicator.categories
            )
            known = ", ".join(_text(c.value) for c in indicator.categories)
            return (
                f"CASE {col} {whens} ELSE 0::numeric END",
                f"({col} IS NULL OR {col} NOT IN ({known}))",
            )
        if kind == FLAG:
            by_key = {c.value: c.points for c in indicator.categories}
            tests = (("true", col), ("false", f"NOT {col}"))
            flag_whens = [f"WHEN {t} THEN {_num(by_key[k])}" for k, t in tests if k in by_key]
            unknown = "".join(f" OR {t}" for k, t in tests if k not in by_key)
            points = f"CASE {' '.join(flag_whens)} ELSE 0::numeric END" if flag_whens else "0"
            return points, f"({col} IS NULL{unknown})"
        raise NotCompilable("categories on a number")  # str(Decimal) keys: not worth it
    if kind not in NUMERIC:
        raise NotCompilable("bins on a category")
    conditions = [_bin_condition(indicator, b, col) for b in indicator.bins]
    whens = " ".join(
        f"WHEN {cond} THEN {_num(b.points)}"
        for cond, b in zip(conditions, indicator.bins, strict=True)
    )
    inside = " OR ".join(conditions) or "FALSE"
    return f"CASE {whens} ELSE 0::numeric END", f"({col} IS NULL OR NOT ({inside}))"


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


def _adjustment(adjustment: engine.Adjustment, kind: str) -> tuple[str, str]:
    if kind != COUNT:
        raise NotCompilable("adjustments count whole numbers")
    col = _col(adjustment.feature)
    points = f"({_num(adjustment.points_each)} * GREATEST(COALESCE({col}, 0), 0))"
    if adjustment.limit is not None:
        limit = _num(adjustment.limit)
        points = (
            f"(CASE WHEN abs({points}) > {limit} THEN sign({points}) * {limit} ELSE {points} END)"
        )
    return points, f"{col} IS NULL"


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


def _json_value(feature: str, kind: str) -> str:
    """A feature value in the breakdown as the Python path encodes it: numbers as exact
    decimal strings, whole counts as JSON numbers, yes/no as booleans, categories as text."""
    col = f"s.f_{feature}"
    return f"{col}::text" if kind == NUMBER else col


# --- the statement ----------------------------------------------------------------------------


def insert_sql(compiled: CompiledCard, source: str, *, subject_column: str) -> str:
    """``INSERT`` of the results of every row of ``source`` (a SELECT giving ``subject_id`` and
    the ``f_<feature>`` columns). Parameters ``%(run)s`` and ``%(village)s`` as well as the
    source's own."""
    from rating.models import RatingResult

    table = RatingResult._meta.db_table
    return f"""
        INSERT INTO {table} ({", ".join(RESULT_COLUMNS)})
        SELECT %(run)s, %(village)s,
               {"s.subject_id" if subject_column == "household_id" else "NULL"},
               {"s.subject_id" if subject_column == "business_entity_id" else "NULL"},
               {compiled.columns}
        FROM (
            SELECT q.*, {compiled.score} AS score FROM (
                SELECT f.*, {compiled.points} FROM ({source} OFFSET 0) f OFFSET 0
            ) q OFFSET 0
        ) s
    """  # noqa: S608
    # ``OFFSET 0`` keeps each level a subquery of its own: flattened, PostgreSQL would inline
    # every feature expression into every CASE that reads it, and every points CASE into the
    # total and the JSON, and compute them many times per row.
