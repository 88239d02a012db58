"""Closed-loop load: C client processes, each on its own keep-alive connection, each sending its
next request as soon as the previous answer is in, for a warm-up and then a measured window.

Only requests that start inside the window count. The server's CPU (its process tree, from
/proc) and the clients' own CPU are read at the window's edges.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import process_cpu
import report
from workload import Client, targets

START_DELAY = 0.2  # seconds between the start signal and the first request, so all start together
FAILURES_KEPT = 5


def run_load(url: str, expectations: dict, clients: int, seconds: float, warmup: float,
             mix: dict[str, float], seed: int, server_pid: int | None = None) -> dict:
    """Run the load and return the report (see report.summarize)."""
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    start, ready, go, results = context.Value("d", 0.0), context.Barrier(clients + 1), context.Event(), context.Queue()
    window = (warmup, seconds)
    processes = [context.Process(target=_client_process, daemon=True,
                                 args=(i, url, expectations, mix, seed, window, start, ready, go, results))
                 for i in range(clients)]
    for process in processes:
        process.start()
    try:
        try:
            ready.wait(timeout=120)
        except threading.BrokenBarrierError:
            crashes = [o.crash for o in _drain(results, len(processes)) if o.crash]
            raise RuntimeError("a client could not start: " + ("; ".join(crashes) or "timed out")) from None
        start.value = time.monotonic() + START_DELAY
        go.set()
        measured_from = start.value + warmup
        _sleep_until(measured_from)
        cpu_before = process_cpu.tree_cpu_seconds(server_pid) if server_pid else None
        _sleep_until(measured_from + seconds)
        cpu_after = process_cpu.tree_cpu_seconds(server_pid) if server_pid else None
        outcomes = [results.get(timeout=seconds + warmup + 120) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
    server_cpu = cpu_after - cpu_before if server_pid else None
    return report.summarize(outcomes, seconds, server_cpu, os.cpu_count() or 1)


def sign_in_everyone(url: str, expectations: dict, per_user: int = 6, threads: int = 8) -> report.Tally:
    """Every user gets `per_user` checked requests, each on a new connection, so that every server
    worker has most likely checked every user's password once (a slow hash, cached afterwards
    by wsauth) before anything is measured."""
    local, tally, lock, clients = threading.local(), report.Tally(FAILURES_KEPT), threading.Lock(), []
    users = [user for user in targets(expectations)["get"] for _ in range(per_user)]

    def sign_in(user: str) -> None:
        if not hasattr(local, "client"):
            with lock:
                local.client = Client(url, expectations, {"get": 1}, len(clients))
                clients.append(local.client)
        for sample in local.client.get_on_new_connection(user):
            with lock:
                tally.add(sample, measured=False)

    try:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(sign_in, users))
    finally:
        for client in clients:
            client.close()
    return tally


def _client_process(index, url, expectations, mix, seed, window, start, ready, go, results) -> None:
    outcome, client = report.Tally(FAILURES_KEPT), None
    try:
        client = Client(url, expectations, mix, seed * 1000 + index)
        ready.wait(timeout=120)
        go.wait(timeout=120)
        _sleep_until(start.value)
        warmup, seconds = window
        measured_from = start.value + warmup
        while time.monotonic() < measured_from:
            for sample in client.step():
                outcome.add(sample, measured=False)
        cpu_before = time.process_time()
        measured_until = measured_from + seconds
        while time.monotonic() < measured_until or client.tour:  # a tour once begun is finished, unmeasured
            for sample in client.step():
                outcome.add(sample, measured=measured_from <= sample.started < measured_until)
        outcome.cpu_seconds = time.process_time() - cpu_before
        outcome.reconnects = client.connection.reconnects
    except Exception as exc:  # report it rather than leave the parent waiting
        outcome.crash = f"client {index}: {type(exc).__name__}: {exc}"
        ready.abort()
    finally:
        if client:
            client.close()
        results.put(outcome)


def _drain(results, count: int) -> list:
    found = []
    for _ in range(count):
        try:
            found.append(results.get(timeout=5))
        except queue.Empty:
            break
    return found


def _sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)
