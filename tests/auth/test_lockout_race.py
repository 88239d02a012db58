"""Parallel sign-ins cannot outrun the lockout (issue 10, item 4): failures on record plus
password checks in flight never exceed login_max_failures, so N parallel wrong guesses give
exactly login_max_failures 401s and 429s for the rest; an attempt that finds the budget held by
others waits for their outcome, so parallel right passwords all get in; an attempt that raises,
or that a dead worker abandoned, hands its place back. Each on SQLite and PostgreSQL, through
the real sign-in path (Argon2 and the auth database) in threads of one process."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from auth import lockout
from auth.app import EXTENSION
from auth.lockout import TooManyAttempts
from tests.auth.conftest import PASSWORD, basic_auth, new_user

MAX_FAILURES = 4
ADDRESS = "203.0.113.9"


@pytest.fixture
def app(make_auth_app):
    return make_auth_app(login_max_failures=MAX_FAILURES, login_lockout_seconds=600)


@pytest.fixture
def guard(app):
    return app.extensions[EXTENSION].guard


def sign_in_all(app, username: str, passwords: list[str]) -> Counter:
    """The statuses of sign-ins sent at once from one address, one thread each."""
    start = threading.Barrier(len(passwords))

    def sign_in(password: str) -> int:
        client = app.test_client()
        start.wait()
        return client.get("/api/2.0/mlflow/users/get", query_string={"username": username},
                          headers=basic_auth(username, password), environ_base={"REMOTE_ADDR": ADDRESS}).status_code

    with ThreadPoolExecutor(len(passwords)) as pool:
        return Counter(pool.map(sign_in, passwords))


def test_parallel_wrong_guesses_get_exactly_the_allowed_number_of_checks(app):
    name = new_user(app.test_client())
    statuses = sign_in_all(app, name, [f"guess-number-{i:04d}" for i in range(4 * MAX_FAILURES)])
    assert statuses == {401: MAX_FAILURES, 429: 3 * MAX_FAILURES}
    assert sign_in_all(app, name, [PASSWORD]) == {429: 1}  # locked now, even for the right password


def test_parallel_right_passwords_all_get_in(app):
    name = new_user(app.test_client())
    assert sign_in_all(app, name, [PASSWORD] * (4 * MAX_FAILURES)) == {200: 4 * MAX_FAILURES}


def test_right_passwords_get_in_beside_guesses_below_the_threshold(app):
    """Guesses in flight hold the budget; the right password waits for them instead of a 429."""
    name = new_user(app.test_client())
    guesses = [f"guess-number-{i:04d}" for i in range(MAX_FAILURES - 1)]
    statuses = sign_in_all(app, name, guesses + [PASSWORD] * (2 * MAX_FAILURES))
    assert statuses == {401: MAX_FAILURES - 1, 200: 2 * MAX_FAILURES}


def waiting_attempt(guard, monkeypatch, name: str):
    """Start an attempt in a thread; return once it is waiting for places held by others, with a
    function that gives its outcome ("in" or the TooManyAttempts it got)."""
    waiting, original = threading.Event(), lockout._pause
    monkeypatch.setattr(lockout, "_pause", lambda: (waiting.set(), original()))
    outcome = []

    def run():
        try:
            with guard.attempt(name, ADDRESS) as attempt:
                attempt.succeeded()
            outcome.append("in")
        except TooManyAttempts as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    assert waiting.wait(60), "the attempt did not wait for the places held by others"

    def result():
        thread.join(60)
        return outcome[0]

    return result


@pytest.mark.parametrize("held_ones", ["failed", "succeeded"])
def test_an_attempt_past_the_budget_waits_for_the_outcome_of_those_in_flight(guard, monkeypatch, held_ones):
    held = [guard.attempt("waiter", ADDRESS) for _ in range(MAX_FAILURES)]
    attempts = [context.__enter__() for context in held]
    result = waiting_attempt(guard, monkeypatch, "waiter")
    for attempt, context in zip(attempts, held):
        getattr(attempt, held_ones)()
        context.__exit__(None, None, None)
    if held_ones == "failed":
        assert isinstance(result(), TooManyAttempts) and "failed sign-ins" in result().message
    else:
        assert result() == "in"


def test_an_attempt_that_raises_hands_its_place_back(guard):
    for _ in range(3 * MAX_FAILURES):
        with pytest.raises(RuntimeError):
            with guard.attempt("crasher", ADDRESS):
                raise RuntimeError("the user store failed")
    with guard.attempt("crasher", ADDRESS) as attempt:  # would wait for ever if places leaked
        attempt.succeeded()
    assert guard.lockouts("crasher") == []


def test_places_abandoned_by_a_dead_worker_are_freed(guard, monkeypatch):
    for _ in range(MAX_FAILURES):
        guard._reserve("abandoned", ADDRESS)  # places taken and never handed back, as by a killed worker
    now = lockout._now()
    monkeypatch.setattr(lockout, "_now", lambda: now + lockout.STALE_MS + 1)
    with guard.attempt("abandoned", ADDRESS) as attempt:
        assert attempt.failed() is False  # one failure on record, not a lockout
    assert guard.lockouts("abandoned") == []


def test_a_lowered_threshold_locks_counts_already_past_it(make_auth_app):
    app = make_auth_app(login_max_failures=6, login_lockout_seconds=600)
    name = new_user(app.test_client())
    assert sign_in_all(app, name, ["wrong-guess-1234"] * 5) == {401: 5}
    lowered = make_auth_app(login_max_failures=3, login_lockout_seconds=600)
    assert sign_in_all(lowered, name, [PASSWORD]) == {429: 1}
