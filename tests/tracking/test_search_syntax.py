"""Tests for tracking.search_syntax: the MLflow filter and order_by parser (no app needed)."""

import random
import re

import pytest

from tracking import search_syntax
from tracking.search_syntax import (
    EXPERIMENT_SEARCH,
    MAX_COMPARISONS,
    MAX_FILTER_LENGTH,
    MAX_IN_VALUES,
    MAX_TOKENS,
    RUN_SEARCH,
    Comparison,
    OrderBy,
    SearchSpec,
    SearchSyntaxError,
    parse_filter,
    parse_order_by,
)

C = Comparison

VALID_RUN_FILTERS = [
    # empty input means "no filter"
    (None, []),
    ("", []),
    ("   \t\n ", []),
    # every prefix spelling, case-insensitive
    ("metrics.acc > 0.9", [C("metric", "acc", ">", 0.9)]),
    ("metric.acc >= 1", [C("metric", "acc", ">=", 1)]),
    ("METRICS.acc < 1", [C("metric", "acc", "<", 1)]),
    ("params.lr = '0.1'", [C("param", "lr", "=", "0.1")]),
    ("param.lr != '0.1'", [C("param", "lr", "!=", "0.1")]),
    ("parameter.lr = 'a'", [C("param", "lr", "=", "a")]),
    ("Parameters.lr = 'a'", [C("param", "lr", "=", "a")]),
    ("tags.team = 'x'", [C("tag", "team", "=", "x")]),
    ("tag.team = 'x'", [C("tag", "team", "=", "x")]),
    ("attributes.status = 'FINISHED'", [C("attribute", "status", "=", "FINISHED")]),
    ("attribute.status = 'FINISHED'", [C("attribute", "status", "=", "FINISHED")]),
    ("attr.user_id = 'bob'", [C("attribute", "user_id", "=", "bob")]),
    ("run.run_name = 'r1'", [C("attribute", "run_name", "=", "r1")]),
    # a bare identifier is an attribute, as in MLflow's own parser
    ("status = 'RUNNING'", [C("attribute", "status", "=", "RUNNING")]),
    ("start_time > 5", [C("attribute", "start_time", ">", 5)]),
    # aliases normalise to the canonical attribute
    ("attributes.created > 100", [C("attribute", "start_time", ">", 100)]),
    ("Created < 100", [C("attribute", "start_time", "<", 100)]),
    ("attributes.`Run Name` = 'r'", [C("attribute", "run_name", "=", "r")]),
    ("`run name` = 'r'", [C("attribute", "run_name", "=", "r")]),
    # dotted and quoted keys
    ("tags.mlflow.runName = 'r'", [C("tag", "mlflow.runName", "=", "r")]),
    ("tags.mlflow.source.git.commit = 'abc'", [C("tag", "mlflow.source.git.commit", "=", "abc")]),
    ("tags.`my tag` = 'v'", [C("tag", "my tag", "=", "v")]),
    ('metrics."val-loss" < 0.5', [C("metric", "val-loss", "<", 0.5)]),
    ("params.`a.b` = '1'", [C("param", "a.b", "=", "1")]),
    ("tags.`a``b` = '1'", [C("tag", "a`b", "=", "1")]),
    ("metrics.1st > 0", [C("metric", "1st", ">", 0)]),
    ("tags.`ключ` = 'значение'", [C("tag", "ключ", "=", "значение")]),
    ("tags.Team = 'x'", [C("tag", "Team", "=", "x")]),  # keys keep their case
    # numbers: negative, exponent, leading dot, trailing dot
    ("metrics.a > -1", [C("metric", "a", ">", -1)]),
    ("metrics.a > -1.5e-3", [C("metric", "a", ">", -0.0015)]),
    ("metrics.a <= 1E3", [C("metric", "a", "<=", 1000.0)]),
    ("metrics.a = .5", [C("metric", "a", "=", 0.5)]),
    ("metrics.a = 2.", [C("metric", "a", "=", 2.0)]),
    ("attributes.end_time <= 1700000000000", [C("attribute", "end_time", "<=", 1700000000000)]),
    ("metrics.a>-1", [C("metric", "a", ">", -1)]),
    # string values: double quotes, doubled quotes, empty, backslash kept as written
    ('tags.x = "double"', [C("tag", "x", "=", "double")]),
    ("tags.x = 'it''s'", [C("tag", "x", "=", "it's")]),
    ('tags.x = "say ""hi"""', [C("tag", "x", "=", 'say "hi"')]),
    ("tags.x = ''", [C("tag", "x", "=", "")]),
    ("tags.x = 'a'''", [C("tag", "x", "=", "a'")]),
    ("tags.x LIKE 'a\\_b%'", [C("tag", "x", "LIKE", "a\\_b%")]),
    ("tags.x = 'a AND b = 1'", [C("tag", "x", "=", "a AND b = 1")]),
    ("tags.x = 'multi\nline'", [C("tag", "x", "=", "multi\nline")]),
    # operators are case-insensitive and normalised
    ("params.m like 'a%'", [C("param", "m", "LIKE", "a%")]),
    ("params.m ILike 'A%'", [C("param", "m", "ILIKE", "A%")]),
    ("attributes.run_name ilike '%x%'", [C("attribute", "run_name", "ILIKE", "%x%")]),
    # IN / NOT IN lists
    ("attributes.run_id IN ('a', 'b')", [C("attribute", "run_id", "IN", ("a", "b"))]),
    ("attributes.run_id in ('a')", [C("attribute", "run_id", "IN", ("a",))]),
    ("attributes.run_id IN ('a',)", [C("attribute", "run_id", "IN", ("a",))]),
    ("run_id not  IN (\"a\",'b')", [C("attribute", "run_id", "NOT IN", ("a", "b"))]),
    ("attributes.status IN ('FINISHED','FAILED')",
     [C("attribute", "status", "IN", ("FINISHED", "FAILED"))]),
    # AND in any case, any whitespace
    ("metrics.a > 1 and params.b = 'x' AnD tags.c != 'y'",
     [C("metric", "a", ">", 1), C("param", "b", "=", "x"), C("tag", "c", "!=", "y")]),
    ("metrics.a>1 AND\n\ttags.b='x'", [C("metric", "a", ">", 1), C("tag", "b", "=", "x")]),
    ("tags.x='a'and metrics.b>1", [C("tag", "x", "=", "a"), C("metric", "b", ">", 1)]),
]


@pytest.mark.parametrize(("text", "expected"), VALID_RUN_FILTERS)
def test_valid_run_filters(text, expected):
    assert parse_filter(text, RUN_SEARCH) == expected


VALID_EXPERIMENT_FILTERS = [
    ("name = 'x'", [C("attribute", "name", "=", "x")]),
    ("name LIKE 'exp%'", [C("attribute", "name", "LIKE", "exp%")]),
    ("attribute.name ILIKE '%A%'", [C("attribute", "name", "ILIKE", "%A%")]),
    ("creation_time > 5", [C("attribute", "creation_time", ">", 5)]),
    ("attributes.last_update_time <= 5", [C("attribute", "last_update_time", "<=", 5)]),
    ("attribute.experiment_id = '1'", [C("attribute", "experiment_id", "=", "1")]),
    ("attribute.experiment_id IN ('1', '2')", [C("attribute", "experiment_id", "IN", ("1", "2"))]),
    ("name NOT IN ('a')", [C("attribute", "name", "NOT IN", ("a",))]),
    ("tags.owner = 'me' AND name != 'x'",
     [C("tag", "owner", "=", "me"), C("attribute", "name", "!=", "x")]),
    ("tags.`mlflow.note.content` LIKE '%x%'", [C("tag", "mlflow.note.content", "LIKE", "%x%")]),
]


@pytest.mark.parametrize(("text", "expected"), VALID_EXPERIMENT_FILTERS)
def test_valid_experiment_filters(text, expected):
    assert parse_filter(text, EXPERIMENT_SEARCH) == expected


def test_number_types():
    assert type(parse_filter("metrics.a = 3", RUN_SEARCH)[0].value) is int
    assert type(parse_filter("metrics.a = 3.0", RUN_SEARCH)[0].value) is float


INVALID_RUN_FILTERS = [
    # joining and grouping
    ("metrics.a > 1 OR metrics.b > 2", "only AND"),
    ("metrics.a > 1 or metrics.b > 2", "only AND"),
    ("(metrics.a > 1)", "parentheses"),
    ("metrics.a > 1 AND (metrics.b > 2)", "parentheses"),
    ("metrics.a > 1 metrics.b > 2", "expected AND"),
    ("metrics.a > 1 and", "expected a key"),
    ("AND metrics.a > 1", "expected a key"),
    ("metrics.a > 1 AND AND tags.b = 'x'", "expected a key"),
    # missing pieces
    ("= 'x'", "expected a key"),
    ("metrics.a", "expected an operator"),
    ("metrics.a >", "expected a value"),
    ("metrics.a > > 1", "expected a value"),
    ("metrics.a = = 1", "expected a value"),
    ("tags.x 'a'", "expected an operator"),
    ("metrics. > 1", "key is missing"),
    ("metrics.a. > 1", "key is missing"),
    ("tags..x = 'a'", "key is missing"),
    ("tags.`` = 'a'", "empty quoted key"),
    # stray characters and quoting
    ("metrics.a > 1;", "unexpected character ';'"),
    ("metrics.a > 1; DROP TABLE runs", "unexpected character ';'"),
    ("tags.x = 'abc", "never closed"),
    ('tags.x = "abc', "never closed"),
    ("tags.`abc = 'x'", "never closed"),
    ("tags.x = 'a''", "never closed"),  # '' is a literal quote, so nothing closes the string
    ("metrics.val-loss > 1", "unexpected character '-' at position 11; remove it, or put it"),
    ("metrics.a <> 1", "expected a value"),
    ("metrics.a == 1", "expected a value"),
    ("metrics.a ＞ 1", "unexpected character"),
    ("metrics.a > 1abc", "is not a number"),
    ("metrics.a > 1.2.3", "is not a number"),
    ("metrics.a > 1e", "is not a number"),
    ("metrics.a > +1", "unexpected character '+'"),
    ("metrics.a > 1" + "0" * 5000, "too many digits"),
    ("metrics.a > 1e999", "out of range"),
    ("tags.`a`.b = 'x'", "quote the whole key"),
    # control characters, anywhere
    ("metrics.a > 1\x00", "control character U+0000"),
    ("tags.x = 'a\x07b'", "control character U+0007"),
    ("tags.x\x1b = 'a'", "control character U+001B"),
    ("tags.x = '\ud800'", "control character U+D800"),
    # prefixes and attributes
    ("acc > 0.9", "prefix the key, e.g. metrics.acc or params.acc or tags.acc"),
    ("attributes.acc > 0.9", "unknown attribute 'acc'"),
    ("attributes.lifecycle_stage = 'active'", "valid attributes are artifact_uri, end_time"),
    ("attributes.Status = 'x'", "unknown attribute 'Status'"),
    ("mlflow.runName = 'x'", "'mlflow' is not a known prefix"),
    ("dataset.name = 'x'", "start the key with one of attributes., metrics., params., tags."),
    # typing
    ("metrics.acc > abc", "metric 'acc' must be compared with a number, e.g. metrics.acc > 0.9"),
    ("metrics.acc > 'abc'", "metric 'acc' must be compared with a number"),
    ("metrics.`val loss` > 'x'", "e.g. metrics.`val loss` > 0.9"),
    ("attributes.start_time > '5'", "attribute 'start_time' must be compared with a number"),
    ("params.lr = 0.1",
     "param 'lr' must be compared with a quoted string, e.g. params.lr = 'value'"),
    ("tags.x = abc", "tag 'x' must be compared with a quoted string"),
    ("attributes.status = 1", "attribute 'status' must be compared with a quoted string"),
    # operators per type
    ("metrics.a LIKE '1'", "LIKE cannot be used with metric 'a'; use one of =, !=, <, <=, >, >="),
    ("params.a > '1'", "> cannot be used with param 'a'; use one of =, !=, LIKE, ILIKE"),
    ("tags.a IN ('1')", "IN cannot be used with tag 'a'"),
    ("attributes.artifact_uri IN ('1')", "IN cannot be used with attribute 'artifact_uri'"),
    ("attributes.start_time IN ('1')", "IN cannot be used"),
    ("metrics.a IS NULL", "IS NULL applies to params and tags only"),
    ("tags.a IS", "expected NULL after IS"),
    ("params.a IS NOT 'x'", "expected NULL after IS NOT"),
    ("tags.a NOT LIKE 'x'", "expected an operator"),
    ("tags.a RLIKE 'x'", "expected an operator"),
    # lists
    ("attributes.run_id IN 'a'", "IN needs a list of quoted strings"),
    ("attributes.run_id = ('a')", "a list of values needs IN or NOT IN"),
    ("attributes.run_id IN ()", "a list must hold quoted strings"),
    ("attributes.run_id IN (1, 2)", "a list must hold quoted strings"),
    ("attributes.run_id IN ('a' 'b')", "expected ',' or ')'"),
    ("attributes.run_id IN ('a',,'b')", "a list must hold quoted strings"),
    ("attributes.run_id IN ('a'", "expected ',' or ')' after"),
    ("attributes.run_id IN ('a'))", "expected AND"),
]


@pytest.mark.parametrize(("text", "fragment"), INVALID_RUN_FILTERS)
def test_invalid_run_filters(text, fragment):
    with pytest.raises(SearchSyntaxError) as caught:
        parse_filter(text, RUN_SEARCH)
    assert fragment in str(caught.value)
    assert str(caught.value).startswith("Invalid filter ")


INVALID_EXPERIMENT_FILTERS = [
    ("metrics.x > 1", "metric keys cannot be used here; use one of attributes., tags."),
    ("params.x = 'a'", "param keys cannot be used here"),
    ("acc > 1", "e.g. tags.acc"),
    ("status = 'x'", "valid attributes are creation_time, experiment_id, last_update_time, name"),
    ("creation_time > 'x'", "attribute 'creation_time' must be compared with a number"),
    ("experiment_id = 1", "attribute 'experiment_id' must be compared with a quoted string"),
    ("name > 'x'", "> cannot be used with attribute 'name'"),
]


@pytest.mark.parametrize(("text", "fragment"), INVALID_EXPERIMENT_FILTERS)
def test_invalid_experiment_filters(text, fragment):
    with pytest.raises(SearchSyntaxError, match="^Invalid filter ") as caught:
        parse_filter(text, EXPERIMENT_SEARCH)
    assert fragment in str(caught.value)


def test_message_shows_the_filter_and_the_fix():
    with pytest.raises(SearchSyntaxError) as caught:
        parse_filter("metrics.acc > abc", RUN_SEARCH)
    assert str(caught.value) == (
        "Invalid filter 'metrics.acc > abc': metric 'acc' must be compared with a number, "
        "e.g. metrics.acc > 0.9"
    )


def test_error_is_a_value_error():
    assert issubclass(SearchSyntaxError, ValueError)


def test_non_string_filter_is_rejected():
    with pytest.raises(SearchSyntaxError, match="expected a string"):
        parse_filter(42, RUN_SEARCH)


# Limits

def test_filter_at_length_limit_is_accepted():
    text = "tags.x = '" + "a" * (MAX_FILTER_LENGTH - 11) + "'"
    assert len(text) == MAX_FILTER_LENGTH
    assert parse_filter(text, RUN_SEARCH)[0].value == "a" * (MAX_FILTER_LENGTH - 11)


def test_filter_over_length_limit_is_rejected():
    text = "tags.x = '" + "a" * MAX_FILTER_LENGTH + "'"
    with pytest.raises(SearchSyntaxError, match="the limit is 20000"):
        parse_filter(text, RUN_SEARCH)


def test_long_filter_is_shortened_in_the_message():
    text = "tags.x = 'abc" + "a" * 5000
    with pytest.raises(SearchSyntaxError) as caught:
        parse_filter(text, RUN_SEARCH)
    assert len(str(caught.value)) < 400


def test_comparison_limit():
    many = " AND ".join(f"metrics.m{i} > {i}" for i in range(MAX_COMPARISONS))
    assert len(parse_filter(many, RUN_SEARCH)) == MAX_COMPARISONS
    with pytest.raises(SearchSyntaxError, match="more than 100 comparisons"):
        parse_filter(many + " AND metrics.z > 0", RUN_SEARCH)


def test_in_value_limit():
    values = ", ".join(f"'r{i}'" for i in range(MAX_IN_VALUES))
    parsed = parse_filter(f"attributes.run_id IN ({values})", RUN_SEARCH)
    assert len(parsed[0].value) == MAX_IN_VALUES
    with pytest.raises(SearchSyntaxError, match="more than 1000 values"):
        parse_filter(f"attributes.run_id IN ({values}, 'one-more')", RUN_SEARCH)


# Hostile input is refused by a bound on its size (length, tokens, comparisons) or at the first
# character that cannot start a token: each row names what refuses it.
HOSTILE = [
    ("'" * 19_999, "never closed"),
    ("`" * 19_999, "never closed"),
    ("(" * 19_999, f"more than {MAX_TOKENS} words"),
    ("a." * 9_999, "is missing after the '.'"),
    ("tags." + "`a`." * 4_000 + "b = 'x'", "tags.`a.b c`"),
    ("metrics.a > " + "1" * 4_000 + "." + "1" * 4_000 + "e", "is not a number"),
    ("metrics.a > 1 AND " * 1_000, f"more than {MAX_TOKENS} words"),
    ("metrics.a > 1 AND " * 120 + "metrics.a > 1", f"more than {MAX_COMPARISONS} comparisons"),
    ("-" * 19_999, "unexpected character '-' at position 0"),
    ("\u202e" * 1_000, "unexpected character"),
    ("tags.x = '" + "''" * 9_000, "never closed"),
    ("a " * 9_999, f"more than {MAX_TOKENS} words"),
    ("'x'," * 4_999, f"more than {MAX_TOKENS} words"),
    ("x" * (MAX_FILTER_LENGTH + 1), f"the limit is {MAX_FILTER_LENGTH}"),
]


@pytest.mark.parametrize("text, refusal", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_is_refused_by_a_bound(text, refusal):
    with pytest.raises(SearchSyntaxError, match=re.escape(refusal)):
        parse_filter(text, RUN_SEARCH)


def test_the_lexer_stops_at_the_token_limit(monkeypatch):
    seen = []
    original = search_syntax._Lexer._next
    monkeypatch.setattr(search_syntax._Lexer, "_next", lambda self: seen.append(1) or original(self))
    with pytest.raises(SearchSyntaxError, match=f"more than {MAX_TOKENS}"):
        parse_filter("a " * 9_999, RUN_SEARCH)
    assert len(seen) == MAX_TOKENS + 1  # not one token past the limit is read


def test_a_full_in_list_within_many_comparisons_fits_the_token_limit():
    values = ", ".join(f"'r{i}'" for i in range(MAX_IN_VALUES))
    text = " AND ".join([f"attributes.run_id IN ({values})"]
                        + [f"metrics.m{i} > {i}" for i in range(MAX_COMPARISONS - 1)])
    assert len(parse_filter(text, RUN_SEARCH)) == MAX_COMPARISONS


FUZZ_PIECES = [
    "metrics.a", "params.b", "tags.`c d`", "attributes.run_id", "start_time", "name", " AND ",
    " OR ", " and", "NOT", " IN ", " LIKE ", "IS", "=", "!=", "<", ">=", "'x'", '"y"', "'", '"',
    "`", "(", ")", ",", "-", "1", "-2.5e3", ".", "..", ";", "\x00", "é", " ", "\n",
]


def test_fuzzed_input_only_raises_search_syntax_error():
    rng = random.Random(20240601)
    for _ in range(3000):
        text = "".join(rng.choice(FUZZ_PIECES) for _ in range(rng.randint(1, 12)))
        for spec in (RUN_SEARCH, EXPERIMENT_SEARCH):
            for parse in (parse_filter, lambda t, s: parse_order_by([t], s)):
                try:
                    parse(text, spec)
                except SearchSyntaxError:
                    pass


# order_by

VALID_RUN_ORDER_BY = [
    (None, []),
    ([], []),
    (["start_time DESC"], [OrderBy("attribute", "start_time", False)]),
    (["attributes.start_time"], [OrderBy("attribute", "start_time", True)]),
    (["attribute.end_time asc"], [OrderBy("attribute", "end_time", True)]),
    (["created desc"], [OrderBy("attribute", "start_time", False)]),
    (["metrics.acc DESC"], [OrderBy("metric", "acc", False)]),
    (["metrics.`val loss` Desc"], [OrderBy("metric", "val loss", False)]),
    (["params.lr"], [OrderBy("param", "lr", True)]),
    (["tags.x"], [OrderBy("tag", "x", True)]),
    (["tags.mlflow.runName ASC"], [OrderBy("tag", "mlflow.runName", True)]),
    (["  run_name  "], [OrderBy("attribute", "run_name", True)]),
    (["metrics.a DESC", "params.b", "tags.c ASC"],
     [OrderBy("metric", "a", False), OrderBy("param", "b", True), OrderBy("tag", "c", True)]),
    ("metrics.a DESC", [OrderBy("metric", "a", False)]),  # a lone string is one clause
]


@pytest.mark.parametrize(("clauses", "expected"), VALID_RUN_ORDER_BY)
def test_valid_run_order_by(clauses, expected):
    assert parse_order_by(clauses, RUN_SEARCH) == expected


@pytest.mark.parametrize(("clauses", "expected"), [
    (["name"], [OrderBy("attribute", "name", True)]),
    (["creation_time DESC"], [OrderBy("attribute", "creation_time", False)]),
    (["attribute.experiment_id desc"], [OrderBy("attribute", "experiment_id", False)]),
    (["last_update_time", "tags.owner"],
     [OrderBy("attribute", "last_update_time", True), OrderBy("tag", "owner", True)]),
])
def test_valid_experiment_order_by(clauses, expected):
    assert parse_order_by(clauses, EXPERIMENT_SEARCH) == expected


INVALID_ORDER_BY = [
    (RUN_SEARCH, [""], "it is empty"),
    (RUN_SEARCH, ["   "], "it is empty"),
    (RUN_SEARCH, ["acc DESC"], "unknown attribute 'acc'"),
    (RUN_SEARCH, ["metrics.acc DOWN"], "expected ASC, DESC or the end"),
    (RUN_SEARCH, ["metrics.acc DESC ASC"], "expected ASC, DESC or the end"),
    (RUN_SEARCH, ["metrics.acc, params.b"], "expected ASC, DESC or the end"),
    (RUN_SEARCH, ["metrics.acc > 1"], "expected ASC, DESC or the end"),
    (RUN_SEARCH, ["DESC"], "unknown attribute 'DESC'"),
    (RUN_SEARCH, ["metrics.acc;"], "unexpected character ';'"),
    (RUN_SEARCH, ["'start_time'"], "expected a key"),
    (RUN_SEARCH, ["foo.bar"], "'foo' is not a known prefix"),
    (RUN_SEARCH, [None], "expected a string"),
    (RUN_SEARCH, [5], "expected a string"),
    (RUN_SEARCH, 5, "expected a list of strings"),
    (RUN_SEARCH, ["tags.`x"], "never closed"),
    (RUN_SEARCH, ["x" * (MAX_FILTER_LENGTH + 1)], "the limit is 20000"),
    (RUN_SEARCH, ["tags.x"] * 101, "the limit is 100"),
    (EXPERIMENT_SEARCH, ["metrics.acc"], "metric keys cannot be used here"),
    (EXPERIMENT_SEARCH, ["start_time"], "unknown attribute 'start_time'"),
]


@pytest.mark.parametrize(("spec", "clauses", "fragment"), INVALID_ORDER_BY)
def test_invalid_order_by(spec, clauses, fragment):
    with pytest.raises(SearchSyntaxError) as caught:
        parse_order_by(clauses, spec)
    assert fragment in str(caught.value)


def test_order_by_message_names_the_clause():
    with pytest.raises(SearchSyntaxError) as caught:
        parse_order_by(["metrics.acc sideways"], RUN_SEARCH)
    assert str(caught.value).startswith("Invalid order_by clause 'metrics.acc sideways': ")


# Specs

def test_specs_are_consistent():
    for spec in (RUN_SEARCH, EXPERIMENT_SEARCH):
        assert not spec.string_attributes & spec.numeric_attributes
        assert spec.in_attributes <= spec.string_attributes
        known = spec.string_attributes | spec.numeric_attributes
        assert set(spec.attribute_aliases.values()) <= known
        assert "attribute" in spec.kinds
    hash(RUN_SEARCH)  # usable as a cache key


def test_custom_spec():
    spec = SearchSpec(
        kinds=frozenset({"attribute"}),
        string_attributes=frozenset({"name"}),
        numeric_attributes=frozenset({"version"}),
        in_attributes=frozenset(),
        attribute_aliases={"v": "version"},
    )
    assert parse_filter("v > 2 AND name = 'm'", spec) == [
        C("attribute", "version", ">", 2), C("attribute", "name", "=", "m"),
    ]
    only_attributes = r"tag keys cannot be used here; use one of attributes\.$"
    with pytest.raises(SearchSyntaxError, match=only_attributes):
        parse_filter("tags.x = 'a'", spec)
    with pytest.raises(SearchSyntaxError, match="IN cannot be used"):
        parse_filter("name IN ('a')", spec)


@pytest.mark.parametrize("text, expected", [
    ("tags.a IS NULL", [Comparison("tag", "a", "IS NULL", None)]),
    ("params.lr is not null and tags.`x y` IS NULL",
     [Comparison("param", "lr", "IS NOT NULL", None), Comparison("tag", "x y", "IS NULL", None)]),
])
def test_is_null_on_params_and_tags(text, expected):
    assert parse_filter(text, RUN_SEARCH) == expected
