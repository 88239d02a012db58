"""Parse MLflow search filter strings and order_by clauses into plain frozen objects (pure).

The grammar is the one MLflow clients send::

    filter     := comparison ( AND comparison )*          (keywords are case-insensitive)
    comparison := identifier operator value
    identifier := [prefix "."] key
    prefix     := metric(s) | param(s) | parameter(s) | tag(s) | attribute(s) | attr | run
    key        := word ( "." word )*  |  `any text`  |  "any text"   (quoted only after a prefix)
    operator   := = | != | < | <= | > | >= | LIKE | ILIKE | IN | NOT IN
    value      := 'text' | "text" | number | "(" 'text' ( "," 'text' )* [","] ")"
    order_by   := identifier [ ASC | DESC ]

A key without a prefix is an attribute, for runs too, as in MLflow's own parser (clients send
``status = 'FINISHED'``). A quote is written twice to include it in a quoted value or key
(``'it''s'``); backslashes are kept as written (the store may use them as LIKE escapes).
The scanner is hand-written and linear, so hostile input cannot make it backtrack.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

MAX_FILTER_LENGTH = 20_000
MAX_COMPARISONS = 100
MAX_IN_VALUES = 1_000
MAX_ORDER_BY_CLAUSES = 100
# Tokens of one filter: 100 comparisons, one of them a full IN list, fit with room to spare. The
# lexer stops at the limit, so the parser never sees more (the work is bounded by size, not time).
MAX_TOKENS = 2 * MAX_IN_VALUES + 8 * MAX_COMPARISONS

NUMERIC_OPERATORS = ("=", "!=", "<", "<=", ">", ">=")
STRING_OPERATORS = ("=", "!=", "LIKE", "ILIKE")
LIST_OPERATORS = ("IN", "NOT IN")

_PREFIXES = {
    "metric": "metric", "metrics": "metric",
    "param": "param", "params": "param", "parameter": "param", "parameters": "param",
    "tag": "tag", "tags": "tag",
    "attribute": "attribute", "attributes": "attribute", "attr": "attribute", "run": "attribute",
}
_SPELLING = {"attribute": "attributes", "metric": "metrics", "param": "params", "tag": "tags"}
_NUMBER = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# C0/C1 controls (tab and newlines aside) and lone surrogates have no place in a query.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_OPERATOR_CHARS = ("!=", "<=", ">=", "=", "<", ">")
_SHOWN_CHARS = 120


class SearchSyntaxError(ValueError):
    """A filter or order_by clause the user must fix; str(e) says what is wrong and how."""


@dataclass(frozen=True)
class Comparison:
    """One ``<kind>.<key> <op> <value>`` condition; value is str, int, float or tuple[str]."""

    kind: str
    key: str
    op: str
    value: object


@dataclass(frozen=True)
class OrderBy:
    """One order_by clause: sort by ``kind``/``key``, ascending or not."""

    kind: str
    key: str
    ascending: bool


@dataclass(frozen=True)
class SearchSpec:
    """What one entity (runs or experiments) allows."""

    kinds: frozenset[str]
    string_attributes: frozenset[str]
    numeric_attributes: frozenset[str]
    in_attributes: frozenset[str]
    # Alternate spellings -> canonical key; canonical keys need no entry. Not hashed (a mapping).
    attribute_aliases: Mapping[str, str] = field(hash=False)


RUN_SEARCH = SearchSpec(
    kinds=frozenset({"attribute", "metric", "param", "tag"}),
    string_attributes=frozenset({"run_id", "run_name", "status", "user_id", "artifact_uri"}),
    numeric_attributes=frozenset({"start_time", "end_time"}),
    in_attributes=frozenset({"run_id", "run_name", "status", "user_id"}),
    # The other spellings MLflow clients may send for these attributes.
    attribute_aliases=MappingProxyType({
        "created": "start_time", "Created": "start_time",
        "run name": "run_name", "Run name": "run_name", "Run Name": "run_name",
    }),
)

EXPERIMENT_SEARCH = SearchSpec(
    kinds=frozenset({"attribute", "tag"}),
    string_attributes=frozenset({"name", "experiment_id"}),
    numeric_attributes=frozenset({"creation_time", "last_update_time"}),
    in_attributes=frozenset({"name", "experiment_id"}),
    attribute_aliases=MappingProxyType({}),
)

REGISTERED_MODEL_SEARCH = SearchSpec(
    kinds=frozenset({"attribute", "tag"}),
    string_attributes=frozenset({"name"}),
    numeric_attributes=frozenset({"creation_timestamp", "last_updated_timestamp"}),
    in_attributes=frozenset({"name"}),
    attribute_aliases=MappingProxyType({"timestamp": "last_updated_timestamp"}),
)

MODEL_VERSION_SEARCH = SearchSpec(
    kinds=frozenset({"attribute", "tag"}),
    string_attributes=frozenset({"name", "run_id", "source_path", "current_stage"}),
    numeric_attributes=frozenset({"version_number", "creation_timestamp", "last_updated_timestamp"}),
    in_attributes=frozenset({"name", "run_id"}),
    attribute_aliases=MappingProxyType({"timestamp": "last_updated_timestamp", "source": "source_path"}),
)


class _Token(NamedTuple):
    kind: str  # "name", "string", "number", "op", "(", ")", "," or "end"
    text: str  # as written, for messages
    value: object  # name: tuple of (piece, quoted); string: str; number: int | float
    pos: int


def _show(text: str) -> str:
    """Quote user text for a message, cut short when long."""
    return repr(text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "...")


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class _Lexer:
    """Turn one filter or order_by clause into tokens, left to right, in linear time."""

    def __init__(self, text: str, where: str):
        self.text, self.where, self.pos = text, where, 0

    def fail(self, problem: str) -> SearchSyntaxError:
        return SearchSyntaxError(f"Invalid {self.where}: {problem}")

    def tokens(self) -> list[_Token]:
        if control := _CONTROL.search(self.text):
            raise self.fail(f"control character U+{ord(control.group()):04X} "
                            f"at position {control.start()}; remove it")
        found = []
        while (token := self._next()) is not None:
            if len(found) == MAX_TOKENS:
                raise self.fail(f"more than {MAX_TOKENS} words, values and symbols (the limit); "
                                "narrow the search")
            found.append(token)
        return found + [_Token("end", "", None, len(self.text))]

    def _next(self) -> _Token | None:
        text = self.text
        while self.pos < len(text) and text[self.pos] in " \t\n\r":
            self.pos += 1
        if self.pos == len(text):
            return None
        ch, start = text[self.pos], self.pos
        if ch in "'\"":
            value = self._quoted(ch)
            return _Token("string", text[start:self.pos], value, start)
        if ch in "(),":
            self.pos += 1
            return _Token(ch, ch, ch, start)
        if ch == "`" or ch.isalpha() or ch == "_":
            return self._name()
        if ch in "-." or "0" <= ch <= "9":
            return self._number()
        return self._operator()

    def _quoted(self, quote: str) -> str:
        start, parts = self.pos, []
        self.pos += 1
        while True:
            end = self.text.find(quote, self.pos)
            if end < 0:
                raise self.fail(f"the quote {quote} at position {start} is never closed; close it "
                                f"(write {quote}{quote} for a literal {quote} inside)")
            parts.append(self.text[self.pos:end])
            self.pos = end + 1
            if not self.text.startswith(quote, self.pos):
                return "".join(parts)
            parts.append(quote)
            self.pos += 1

    def _name(self) -> _Token:
        start = self.pos
        pieces = [self._piece(after_dot=False)]
        while self.text.startswith(".", self.pos):
            self.pos += 1
            pieces.append(self._piece(after_dot=True))
        return _Token("name", self.text[start:self.pos], tuple(pieces), start)

    def _piece(self, after_dot: bool) -> tuple[str, bool]:
        ch = self.text[self.pos:self.pos + 1]
        if ch == "`" or (ch == '"' and after_dot):
            if not (key := self._quoted(ch)):
                raise self.fail(f"empty quoted key before position {self.pos}; put the key inside")
            return key, True
        end = self.pos
        while end < len(self.text) and _is_word_char(self.text[end]):
            end += 1
        if end == self.pos:
            raise self.fail(f"a key is missing after the '.' at position {self.pos - 1}; "
                            "quote keys with spaces or symbols in backticks, e.g. tags.`my key`")
        word, self.pos = self.text[self.pos:end], end
        return word, False

    def _number(self) -> _Token:
        start = self.pos
        if (match := _NUMBER.match(self.text, start)) is None:
            return self._operator()  # not a number after all: report the stray '-' or '.'
        literal, self.pos = match.group(), match.end()
        after = self.text[self.pos:self.pos + 1]
        if after and (_is_word_char(after) or after == "."):
            raise self.fail(f"{_show(literal + after)} at position {start} is not a number; "
                            "quote text values, e.g. 'abc'")
        try:
            value = float(literal) if any(c in literal for c in ".eE") else int(literal)
        except ValueError:  # more digits than int() accepts from a string
            raise self.fail(f"the number at position {start} has too many digits") from None
        if not math.isfinite(value):
            raise self.fail(f"the number {_show(literal)} at position {start} is out of range")
        return _Token("number", literal, value, start)

    def _operator(self) -> _Token:
        start = self.pos
        for op in _OPERATOR_CHARS:
            if self.text.startswith(op, start):
                self.pos += len(op)
                return _Token("op", op, op, start)
        raise self.fail(f"unexpected character {self.text[start]!r} at position {start}; remove "
                        "it, or put it inside a quoted value or a backtick-quoted key")


class _Parser:
    """Read comparisons or one order_by term from tokens, checking them against a SearchSpec."""

    def __init__(self, text: str, spec: SearchSpec, where: str):
        self.where, self.spec, self.at = where, spec, 0
        self.tokens = _Lexer(text, where).tokens()

    def fail(self, problem: str) -> SearchSyntaxError:
        return SearchSyntaxError(f"Invalid {self.where}: {problem}")

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at = min(self.at + 1, len(self.tokens) - 1)
        return token

    def found(self, token: _Token) -> str:
        return "the end" if token.kind == "end" else f"{_show(token.text)} at position {token.pos}"

    def is_word(self, token: _Token, *words: str) -> bool:
        return token.kind == "name" and token.text.upper() in words

    def comparisons(self) -> list[Comparison]:
        result = [self.comparison()]
        while self.is_word(self.peek(), "AND"):
            self.take()
            if len(result) == MAX_COMPARISONS:
                raise self.fail(f"more than {MAX_COMPARISONS} comparisons; narrow the filter")
            result.append(self.comparison())
        if self.is_word(token := self.peek(), "OR"):
            raise self.fail("OR is not supported; only AND can join comparisons")
        if token.kind != "end":
            raise self.fail(f"expected AND or the end of the filter, found {self.found(token)}")
        return result

    def comparison(self) -> Comparison:
        kind, key = self.target()
        op = self.operator(kind, key)
        if op in ("IS NULL", "IS NOT NULL"):
            if kind not in ("param", "tag"):
                raise self.fail(f"{op} applies to params and tags only, not to {_spell(kind, key)}")
            return Comparison(kind, key, op, None)
        return _checked(self, kind, key, op, self.value(op))

    def target(self) -> tuple[str, str]:
        token = self.take()
        if token.kind == "(":
            raise self.fail("parentheses for grouping are not supported; "
                            "only AND can join comparisons")
        if token.kind != "name" or self.is_word(token, "AND", "OR", "NOT"):
            example = "metrics.acc" if "metric" in self.spec.kinds else "tags.team"
            raise self.fail(f"expected a key such as {example}, found {self.found(token)}")
        return _resolve(self, token)

    def operator(self, kind: str, key: str) -> str:
        token = self.take()
        if token.kind == "op":
            return token.value
        if self.is_word(token, "LIKE", "ILIKE", "IN"):
            return token.text.upper()
        if self.is_word(token, "NOT") and self.is_word(self.peek(), "IN"):
            self.take()
            return "NOT IN"
        if self.is_word(token, "IS"):
            negated = self.is_word(self.peek(), "NOT") and bool(self.take())
            if not self.is_word(self.take(), "NULL"):
                raise self.fail(f"expected NULL after IS{' NOT' if negated else ''} in {_spell(kind, key)}")
            return "IS NOT NULL" if negated else "IS NULL"
        raise self.fail(f"expected an operator after {_spell(kind, key)} (=, !=, <, <=, >, >=, "
                        f"LIKE, ILIKE, IN, NOT IN), found {self.found(token)}")

    def value(self, op: str) -> object:
        token = self.take()
        if token.kind in ("string", "number"):
            return token.value
        if token.kind == "(":
            return self.value_list()
        if token.kind == "name":
            return None  # an unquoted word: _checked says what the key needs instead
        raise self.fail(f"expected a value after {op}, found {self.found(token)}")

    def value_list(self) -> tuple[str, ...]:
        values: list[str] = []
        while not (values and self.peek().kind == ")"):
            if (token := self.take()).kind != "string":
                raise self.fail("a list must hold quoted strings separated by commas, "
                                f"e.g. ('a', 'b'); found {self.found(token)}")
            values.append(token.value)
            if len(values) > MAX_IN_VALUES:
                raise self.fail(f"a list holds more than {MAX_IN_VALUES} values; split the search")
            if self.peek().kind != ")" and self.take().kind != ",":
                raise self.fail(f"expected ',' or ')' after {_show(token.text)} in the list")
        self.take()
        return tuple(values)

    def order_by(self) -> OrderBy:
        kind, key = self.target()
        token, ascending = self.take(), True
        if self.is_word(token, "ASC", "DESC"):
            token, ascending = self.take(), token.text.upper() == "ASC"
        if token.kind != "end":
            raise self.fail(f"expected ASC, DESC or the end of the clause, "
                            f"found {self.found(token)}")
        return OrderBy(kind, key, ascending)


def _prefixes(spec: SearchSpec) -> str:
    return ", ".join(f"{_SPELLING[k]}." for k in sorted(spec.kinds))


def _spell(kind: str, key: str) -> str:
    """Write kind and key back the way a user should type them."""
    if all(part and all(map(_is_word_char, part)) for part in key.split(".")):
        return f"{_SPELLING[kind]}.{key}"
    return f"{_SPELLING[kind]}.`{key.replace('`', '``')}`"


def _resolve(parser: _Parser, token: _Token) -> tuple[str, str]:
    """Map an identifier token to (kind, key), checking the prefix and attribute names."""
    pieces, spec = token.value, parser.spec
    if len(pieces) == 1:
        return "attribute", _attribute_key(parser, pieces[0][0], bare=True)
    if (kind := _PREFIXES.get(pieces[0][0].lower())) is None:
        raise parser.fail(f"{_show(pieces[0][0])} is not a known prefix in {_show(token.text)}; "
                          f"start the key with one of {_prefixes(spec)}")
    if kind not in spec.kinds:
        raise parser.fail(f"{kind} keys cannot be used here; use one of {_prefixes(spec)}")
    if len(pieces) > 2 and any(quoted for _, quoted in pieces[1:]):
        raise parser.fail(f"quote the whole key after the prefix in {_show(token.text)}, "
                          "e.g. tags.`a.b c`")
    key = ".".join(piece for piece, _ in pieces[1:])
    return kind, (_attribute_key(parser, key, bare=False) if kind == "attribute" else key)


def _attribute_key(parser: _Parser, key: str, bare: bool) -> str:
    """Return the canonical name of an attribute, or explain which names exist."""
    spec = parser.spec
    known = spec.string_attributes | spec.numeric_attributes
    if (canonical := spec.attribute_aliases.get(key, key)) in known:
        return canonical
    message = f"unknown attribute {_show(key)}; valid attributes are {', '.join(sorted(known))}"
    others = [_spell(k, key) for k in ("metric", "param", "tag") if k in spec.kinds]
    if bare and others:
        message += f". To search by something else, prefix the key, e.g. {' or '.join(others)}"
    raise parser.fail(message)


def _rules(spec: SearchSpec, kind: str, key: str) -> tuple[str, tuple[str, ...]]:
    """Return the value type a key needs and the operators it allows."""
    if kind == "metric" or (kind == "attribute" and key in spec.numeric_attributes):
        return "number", NUMERIC_OPERATORS
    if kind == "attribute" and key in spec.in_attributes:
        return "string", STRING_OPERATORS + LIST_OPERATORS
    return "string", STRING_OPERATORS


def _checked(parser: _Parser, kind: str, key: str, op: str, value: object) -> Comparison:
    """Build the Comparison once operator and value suit the key's type."""
    needs, operators = _rules(parser.spec, kind, key)
    subject, spelled = f"{kind} {key!r}", _spell(kind, key)
    if op not in operators:
        raise parser.fail(f"{op} cannot be used with {subject}; use one of {', '.join(operators)}")
    if op in LIST_OPERATORS and not isinstance(value, tuple):
        raise parser.fail(f"{op} needs a list of quoted strings, e.g. {spelled} {op} ('a', 'b')")
    if op not in LIST_OPERATORS and isinstance(value, tuple):
        raise parser.fail(f"a list of values needs IN or NOT IN, not {op}")
    if needs == "number" and not isinstance(value, (int, float)):
        example = "0.9" if kind == "metric" else "1700000000000"
        raise parser.fail(f"{subject} must be compared with a number, e.g. {spelled} > {example}")
    if needs == "string" and not isinstance(value, (str, tuple)):
        raise parser.fail(f"{subject} must be compared with a quoted string, "
                          f"e.g. {spelled} = 'value'")
    return Comparison(kind, key, op, value)


def _bounded_text(text: object, what: str) -> str:
    """Return user input once it is known to be a string within the length limit."""
    if not isinstance(text, str):
        raise SearchSyntaxError(f"Invalid {what}: expected a string, got {type(text).__name__}")
    if len(text) > MAX_FILTER_LENGTH:
        raise SearchSyntaxError(f"Invalid {what}: it is {len(text)} characters long; "
                                f"the limit is {MAX_FILTER_LENGTH}")
    return text


def parse_filter(text: str | None, spec: SearchSpec) -> list[Comparison]:
    """Parse a filter string into comparisons joined by AND; empty or None gives []."""
    if text is None or not _bounded_text(text, "filter").strip():
        return []
    return _Parser(text, spec, f"filter {_show(text)}").comparisons()


def parse_order_by(clauses: Sequence[str] | None, spec: SearchSpec) -> list[OrderBy]:
    """Parse order_by clauses such as 'metrics.acc DESC'; a lone string is one clause."""
    if clauses is None:
        return []
    clauses = [clauses] if isinstance(clauses, str) else clauses
    if not isinstance(clauses, Sequence):
        raise SearchSyntaxError(f"Invalid order_by: expected a list of strings, "
                                f"got {type(clauses).__name__}")
    if len(clauses) > MAX_ORDER_BY_CLAUSES:
        raise SearchSyntaxError(f"Invalid order_by: {len(clauses)} clauses; "
                                f"the limit is {MAX_ORDER_BY_CLAUSES}")
    return [_parse_order_by_clause(clause, spec) for clause in clauses]


def _parse_order_by_clause(clause: object, spec: SearchSpec) -> OrderBy:
    if not (text := _bounded_text(clause, "order_by clause")).strip():
        raise SearchSyntaxError(f"Invalid order_by clause {_show(text)}: it is empty; write a key "
                                "and an optional direction, e.g. 'attributes.start_time DESC'")
    return _Parser(text, spec, f"order_by clause {_show(text)}").order_by()
