"""A small evaluator of CloudWatch Logs JSON filter patterns, for the subset the detections use.

Supported, as CloudWatch documents it: `{ expression }` over one JSON log event; selectors `$.a.b`
and `$.a[0].b` (index only); `=` and `!=` with a quoted string, where `*` matches any run of
characters, or with a number, which also allows `<`, `<=`, `>`, `>=`; `&&`, `||` (equal precedence
in CloudWatch is not assumed: every mixed use in the detections is parenthesised, and mixing them
unparenthesised is refused here) and parentheses. A selector that reaches no value matches neither
`=` nor `!=`, as in CloudWatch: a missing field never satisfies a comparison. Anything else raises
Unsupported, so a pattern outside the subset fails its test instead of being judged wrongly.
"""
from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

TOKEN = re.compile(r'\s*(?:(?P<paren>[()])|(?P<logic>&&|\|\|)|(?P<selector>\$(?:\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\])+)'
                   r'|(?P<op>!=|<=|>=|=|<|>)|"(?P<string>[^"]*)"|(?P<number>-?[0-9]+(?:\.[0-9]+)?))')
_MISSING = object()


class Unsupported(ValueError):
    pass


def matches(pattern: str, event: dict) -> bool:
    text = pattern.strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise Unsupported(f"not a JSON filter pattern: {pattern!r}")
    tokens = _tokens(text[1:-1])
    parser = _Parser(tokens, json.loads(json.dumps(event)))
    result = parser.expression()
    if parser.position != len(tokens):
        raise Unsupported(f"unexpected {tokens[parser.position]!r}")
    return result


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = TOKEN.match(text, position)
        if not match:
            raise Unsupported(f"cannot read {text[position:position + 20]!r}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _select(event: Any, selector: str) -> Any:
    node = event
    for name, index in re.findall(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[([0-9]+)\]", selector[1:]):
        if name:
            node = node.get(name, _MISSING) if isinstance(node, dict) else _MISSING
        else:
            node = node[int(index)] if isinstance(node, list) and int(index) < len(node) else _MISSING
        if node is _MISSING:
            return _MISSING
    return node


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], event: dict):
        self.tokens, self.event, self.position = tokens, event, 0

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self, kind: str) -> str:
        token = self._peek()
        if token is None or token[0] != kind:
            raise Unsupported(f"expected {kind}, found {token!r}")
        self.position += 1
        return token[1]

    def expression(self) -> bool:
        values, operators = [self.term()], set()
        while (token := self._peek()) is not None and token[0] == "logic":
            operators.add(self._take("logic"))
            values.append(self.term())
        if len(operators) > 1:
            raise Unsupported("&& and || mixed without parentheses")
        return all(values) if operators == {"&&"} or not operators else any(values)

    def term(self) -> bool:
        if self._peek() == ("paren", "("):
            self._take("paren")
            value = self.expression()
            if self._take("paren") != ")":
                raise Unsupported("unbalanced parentheses")
            return value
        return self.comparison()

    def comparison(self) -> bool:
        value = _select(self.event, self._take("selector"))
        operator = self._take("op")
        token = self._peek()
        if token is None or token[0] not in ("string", "number"):
            raise Unsupported(f"expected a value after {operator}, found {token!r}")
        self.position += 1
        if value is _MISSING or value is None:
            return False
        if token[0] == "string":
            if operator not in ("=", "!="):
                raise Unsupported(f"{operator} with a string")
            equal = isinstance(value, str) and fnmatch.fnmatchcase(value, token[1].replace("[", "[[]").replace("?", "[?]"))
            return equal if operator == "=" else not equal
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return operator == "!="
        number = float(token[1])
        return {"=": value == number, "!=": value != number, "<": value < number, "<=": value <= number,
                ">": value > number, ">=": value >= number}[operator]
