"""Rules from the parameter file in plain words, for pages a stakeholder reads.

A filter, cohort rule or scorecard criterion is written as an expression over column names
(``orders_12m >= 1 and orders_12m <= 2``); a report shows it as a reader would say it ("orders in
the last 12 months between 1 and 2"). Columns read as their labels, coded values as their value
labels, attitude thresholds as the scale's own answer words. Nothing here knows the demo.
"""

from __future__ import annotations

import ast

from helpers.core.expressions import (
    FilterSyntaxError,
    column_name,
    is_boolean_word,
    literal_value,
    parse_filter,
)
from helpers.params.config import Params
from helpers.params.inputs import value_key
from helpers.params.schema import FLAG_FIELDS, display_value, label_of, scale_of, value_words

_WORDS = {
    "Eq": "is",
    "NotEq": "is not",
    "Lt": "below",
    "LtE": "at most",
    "Gt": "above",
    "GtE": "at least",
    "In": "is",
    "NotIn": "is not",
}
_FLIP = {"Lt": "Gt", "LtE": "GtE", "Gt": "Lt", "GtE": "LtE"}  # `5 < x` reads as `x > 5`


def describe(expression: str, params: Params) -> str:
    """An expression from the parameter file as a reader would say it."""
    try:
        tree = parse_filter(expression)
    except FilterSyntaxError:
        return expression
    text = _node(tree.body, params, top=True)
    return text[:1].upper() + text[1:]


def _node(node: ast.AST, params: Params, top: bool = False) -> str:
    if isinstance(node, ast.BoolOp):
        joiner = " and " if isinstance(node.op, ast.And) else " or "
        parts = _between(node.values, params) if isinstance(node.op, ast.And) else None
        text = joiner.join(parts or [_node(v, params) for v in node.values])
        return text if top else f"({text})"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return f"not {_node(node.operand, params)}"
    if isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        parts = [
            _compare(left, type(op).__name__, right, params)
            for op, left, right in zip(node.ops, operands[:-1], operands[1:], strict=True)
        ]
        return " and ".join(parts)
    if isinstance(node, ast.Name) and not is_boolean_word(node):
        return f"{label_in_sentence(column_name(node.id), params)}: yes"
    return ast.unparse(node)


def _between(values: list[ast.AST], params: Params) -> list[str] | None:
    """`x >= 1 and x <= 2` as "x between 1 and 2" (only for exactly that pair)."""
    if len(values) != 2 or not all(isinstance(v, ast.Compare) and len(v.ops) == 1 for v in values):
        return None
    sides = [_oriented(v) for v in values]  # type: ignore[arg-type]
    if None in sides:
        return None
    (col_a, op_a, lo), (col_b, op_b, hi) = sides  # type: ignore[misc]
    if col_a != col_b or {op_a, op_b} != {"GtE", "LtE"} or col_a in _scale_items(params):
        return None
    if op_a == "LtE":
        lo, hi = hi, lo
    low, high = _value(col_a, lo, params), _value(col_a, hi, params)
    return [f"{label_in_sentence(col_a, params)} between {low} and {high}"]


def _oriented(node: ast.Compare) -> tuple[str, str, object] | None:
    left, op, right = node.left, type(node.ops[0]).__name__, node.comparators[0]
    if isinstance(right, ast.Name) and not is_boolean_word(right):
        left, right, op = right, left, _FLIP.get(op, op)
    if not isinstance(left, ast.Name) or is_boolean_word(left):
        return None
    try:
        return column_name(left.id), op, literal_value(right)
    except ValueError:
        return None


def _compare(left: ast.AST, op: str, right: ast.AST, params: Params) -> str:
    columns = [n for n in (left, right) if isinstance(n, ast.Name) and not is_boolean_word(n)]
    if len(columns) == 2:  # one field against another: "days to A below days to B"
        a, b = (label_in_sentence(column_name(n.id), params) for n in columns)
        return f"{a[:1].upper()}{a[1:]} {_WORDS[op]} {b}"
    oriented = _oriented(ast.Compare(left=left, ops=[getattr(ast, op)()], comparators=[right]))
    if oriented is None:
        return ast.unparse(ast.Compare(left=left, ops=[getattr(ast, op)()], comparators=[right]))
    column, op, value = oriented
    name = label_in_sentence(column, params)
    if column in _scale_items(params) and not isinstance(value, list | bool):
        answers = _scale_answers(column, op, value, params)
        if answers:
            return f"“{name}”: {' or '.join(answers)}"
    if op in ("Eq", "NotEq") and (isinstance(value, bool) or column in FLAG_FIELDS):
        yes = value_key(value) in ("1", "true")
        return f"{name}: {'yes' if yes == (op == 'Eq') else 'no'}"
    if isinstance(value, list):
        shown = [_value(column, v, params) for v in value]
        if len(shown) == 1:
            return f"{name} {_WORDS[op]} {shown[0]}"
        if op == "NotIn":
            if len(shown) == 2:
                return f"{name} is neither {shown[0]} nor {shown[1]}"
            return f"{name} is none of {', '.join(shown)}"
        return f"{name} is {', '.join(shown[:-1])} or {shown[-1]}"
    if op in ("Eq", "NotEq"):
        return f"{name} {_WORDS[op]} {_value(column, value, params)}"
    return f"{name} {_WORDS[op]} {display_value(value)}"  # a threshold is a number, never a code


def _scale_items(params: Params) -> set[str]:
    return set(params.columns.psychographic) if params.columns else set()


def _scale_answers(column: str, op: str, value: object, params: Params) -> list[str]:
    """The answer words a threshold on an attitude item selects (`>= 4`: Agree, Strongly agree)."""
    scale = scale_of(column, params)
    try:
        target = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        words = [w.lower() for w in scale.words]
        if str(value).lower() not in words:
            return []
        target = scale.points[words.index(str(value).lower())]
    test = {
        "Eq": target.__eq__,
        "NotEq": target.__ne__,
        "Lt": target.__gt__,
        "LtE": target.__ge__,
        "Gt": target.__lt__,
        "GtE": target.__le__,
    }[op]
    return [label for point, label in zip(scale.points, scale.labels, strict=True) if test(point)]


def label_in_sentence(column: str, params: Params) -> str:
    """A column's label as it reads inside a sentence (lower case first, acronyms kept)."""
    text = label_of(column, params)
    first = text.split(" ", 1)[0]
    return text if first.isupper() or first[1:2].isupper() else text[:1].lower() + text[1:]


def _value(column: str, value: object, params: Params) -> str:
    """A value as the report shows it (`schema.value_words`): a code's label, "code 2" for a
    code without one, yes/no for booleans and flags, whole numbers plain."""
    return value_words(column, value, params)
