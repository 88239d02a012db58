"""Tallies of the clients' samples and the JSON report of one load run."""

from __future__ import annotations

import statistics

from workload import KINDS, Sample


class Tally:
    """What one client saw: per kind its measured latencies, and every failure (warm-up included)."""

    def __init__(self, failures_kept: int):
        self.latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
        self.mismatches = self.server_errors = self.transport_errors = 0
        self.checked = 0
        self.failures: list[dict] = []
        self.failures_kept = failures_kept
        self.cpu_seconds = 0.0
        self.reconnects = 0
        self.crash: str | None = None

    def add(self, sample: Sample, measured: bool) -> None:
        """Count a sample; its latency only when it started inside the measured window."""
        self.checked += 1
        if measured and sample.verdict != "transport":
            self.latencies[sample.kind].append(sample.seconds)
        if sample.verdict == "ok":
            return
        if sample.verdict == "transport":
            self.transport_errors += 1
        else:
            self.mismatches += 1
            self.server_errors += (sample.status or 0) >= 500
        if len(self.failures) < self.failures_kept:
            self.failures.append({"verdict": sample.verdict, "during": "window" if measured else "warm-up",
                                  **(sample.detail or {})})


def checks(tally: Tally) -> dict:
    """Only the correctness part of a tally: responses checked, mismatches, errors, failures."""
    return {"checked_responses": tally.checked, "mismatches": tally.mismatches,
            "errors": {"http_5xx": tally.server_errors, "transport": tally.transport_errors,
                       "client_crashes": int(bool(tally.crash))},
            "failures": tally.failures}


def latency_ms(seconds: list[float]) -> dict:
    """p50 / p95 / p99 / mean / max in milliseconds (None without samples)."""
    if not seconds:
        return {"p50": None, "p95": None, "p99": None, "mean": None, "max": None}
    if len(seconds) == 1:
        cuts = seconds * 99
    else:
        cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {"p50": _ms(cuts[49]), "p95": _ms(cuts[94]), "p99": _ms(cuts[98]),
            "mean": _ms(statistics.fmean(seconds)), "max": _ms(max(seconds))}


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def summarize(tallies: list[Tally], seconds: float, server_cpu: float | None, cpus: int) -> dict:
    """The report: throughput and latency overall and per kind, failures, CPU costs."""
    every = [s for t in tallies for kind in KINDS for s in t.latencies[kind]]
    requests = len(every)
    client_cpu = sum(t.cpu_seconds for t in tallies)
    return {
        "seconds": seconds,
        "requests": requests,
        "requests_per_second": round(requests / seconds, 2),
        "latency_ms": latency_ms(every),
        "kinds": {kind: _kind(tallies, kind, seconds) for kind in KINDS},
        "checked_responses": sum(t.checked for t in tallies),
        "mismatches": sum(t.mismatches for t in tallies),
        "errors": {"http_5xx": sum(t.server_errors for t in tallies),
                   "transport": sum(t.transport_errors for t in tallies),
                   "client_crashes": sum(bool(t.crash) for t in tallies)},
        "failures": [f for t in tallies for f in t.failures][:10] + [t.crash for t in tallies if t.crash],
        "reconnects": sum(t.reconnects for t in tallies),
        "server_cpu_seconds": _round(server_cpu),
        "server_cpu_ms_per_request": _round(server_cpu * 1000 / requests if server_cpu is not None and requests else None),
        "client_cpu_seconds": round(client_cpu, 3),
        "client_cpu_ms_per_request": _round(client_cpu * 1000 / requests if requests else None),
        "client_cpu_share_of_machine": round(client_cpu / (seconds * cpus), 4),
    }


def _kind(tallies: list[Tally], kind: str, seconds: float) -> dict:
    samples = [s for t in tallies for s in t.latencies[kind]]
    return {"requests": len(samples), "requests_per_second": round(len(samples) / seconds, 2),
            "latency_ms": latency_ms(samples)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
