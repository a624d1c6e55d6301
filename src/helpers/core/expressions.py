"""The filter expression language: parse and check, never evaluate.

A filter is a small expression over column names, e.g. ``orders_12m >= 6`` or
``city_tier == "urban" and gender == "female"`` or ``income_band in ["75k-100k", "100k+"]``.
It is parsed with Python's ``ast`` and only comparisons, ``and``/``or``/``not``, ``in``/``not in``
with a list, and literals are allowed, so a parameter file can never run code. ``true`` and
``false`` (any case) are the boolean literals, as in YAML 1.2.

This module sits with the parameters (it needs nothing but the standard library); evaluating a
filter over data is `helpers.analyses.filters`.
"""

from __future__ import annotations

import ast
import keyword
import operator
import re

MAX_LENGTH = 2000  # characters in one expression: longer ones are refused, not parsed
BOOLEAN_WORDS = {"true": True, "false": False}

_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


class FilterSyntaxError(ValueError):
    """A filter expression uses something other than comparisons, and/or/not and literals."""


def parse_filter(expression: str) -> ast.Expression:
    """Parse and check a filter expression (raises FilterSyntaxError)."""
    if len(expression) > MAX_LENGTH:
        raise FilterSyntaxError(
            f"the expression is {len(expression):,} characters long; filters "
            f"are at most {MAX_LENGTH:,}: split it into several named filters"
        )
    try:
        tree = ast.parse(_unquote(expression.strip()), mode="eval")
    except SyntaxError as exc:
        raise FilterSyntaxError(f"cannot read '{_short(expression)}': {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise FilterSyntaxError(
            "the expression is nested too deeply to read; write it as several named filters"
        ) from None
    for node in ast.walk(tree):
        allowed = (
            ast.Expression,
            ast.BoolOp,
            ast.And,
            ast.Or,
            ast.UnaryOp,
            ast.Not,
            ast.USub,
            ast.Compare,
            ast.Name,
            ast.Load,
            ast.Constant,
            ast.List,
            ast.Tuple,
            ast.In,
            ast.NotIn,
            *_COMPARE,
        )
        if not isinstance(node, allowed):
            raise FilterSyntaxError(
                f"'{_short(expression)}' uses {type(node).__name__.lower()}, which filters do not allow; "
                'write comparisons joined by and/or, e.g. orders_12m >= 6 and region == "North"'
            )
        if isinstance(node, ast.Compare):
            for op, right in zip(node.ops, node.comparators, strict=True):
                if isinstance(op, ast.In | ast.NotIn) and not isinstance(right, ast.List | ast.Tuple):
                    raise FilterSyntaxError(
                        f"'{_short(expression)}': `in` needs a list of values, e.g. "
                        'region in ["North", "South"]'
                    )
    return tree


# a column whose name is not a plain word is written in backticks: `Job Role` == "Manager";
# inside the parser it travels as a reversible identifier, so no state is kept anywhere
_QUOTED = re.compile(r"`([^`]+)`")
_ENCODED = re.compile(r"^__q_([0-9a-f]+)__$")


def _unquote(expression: str) -> str:
    return _QUOTED.sub(lambda m: f"__q_{m.group(1).encode().hex()}__", expression)


def column_name(identifier: str) -> str:
    """The column a name in a parsed expression stands for (backticked names decoded)."""
    m = _ENCODED.match(identifier)
    return bytes.fromhex(m.group(1)).decode() if m else identifier


def quote(column: str) -> str:
    """A column name as a filter writes it: backticks unless it is a plain word."""
    return (
        column
        if column.isidentifier() and not keyword.iskeyword(column) and column.lower() not in BOOLEAN_WORDS
        else f"`{column}`"
    )


def _short(text: str, width: int = 80) -> str:
    """An expression shortened for a message."""
    return text if len(text) <= width else text[: width - 1] + "…"


def is_boolean_word(node: ast.AST) -> bool:
    """Whether a name in an expression is the literal true or false (any case)."""
    return isinstance(node, ast.Name) and node.id.lower() in BOOLEAN_WORDS


def filter_columns(expression: str) -> set[str]:
    """The column names a filter expression uses."""
    return {
        column_name(n.id)
        for n in ast.walk(parse_filter(expression))
        if isinstance(n, ast.Name) and not is_boolean_word(n)
    }


def comparisons(expression: str) -> list[tuple[str, str, object]]:
    """Each comparison of a column with literal values: (column, operator, value or list)."""
    out: list[tuple[str, str, object]] = []
    for node in ast.walk(parse_filter(expression)):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands[:-1], operands[1:], strict=True):
            name, value = None, None
            if isinstance(left, ast.Name) and not is_boolean_word(left):
                name, value = column_name(left.id), right
            elif isinstance(right, ast.Name) and not is_boolean_word(right):
                name, value = column_name(right.id), left
            if name is None or isinstance(value, ast.Name) and not is_boolean_word(value):
                continue
            try:
                literal = literal_value(value)
            except ValueError:
                continue
            out.append((name, type(op).__name__, literal))
    return out


def literal_value(node: ast.AST) -> object:
    """The value of a literal node (true/false words included)."""
    if is_boolean_word(node):
        return BOOLEAN_WORDS[node.id.lower()]  # type: ignore[attr-defined]
    if isinstance(node, ast.List | ast.Tuple):
        return [literal_value(e) for e in node.elts]
    return ast.literal_eval(node)
