"""OTLP trace ingest (`POST /v1/traces`, served by MLflow's FastAPI app) as the layer reads it:
the trace ids of an export's spans, found as MLflow's ingest finds them, within bounded sizes.

MLflow adds spans to an existing trace of the same id wherever that trace lives, so a
non-admin's export may name only new traces or traces of the experiment its header names
(mlflow_host/request_checks.py, check_otlp_export)."""

from __future__ import annotations

import zlib

from tracking.hostkit import InvalidParameter

MAX_BYTES = 32 * 1024 * 1024  # an export's body, compressed and decompressed
EXPERIMENT_HEADER = "x-mlflow-experiment-id"


class TooLarge(InvalidParameter):
    """An export past MAX_BYTES."""


def trace_ids(body: bytes, encoding: str | None) -> list[str]:
    """The MLflow trace ids of the export's spans; 400 for a body MLflow could not read either,
    or one that decompresses past MAX_BYTES."""
    from google.protobuf.message import DecodeError
    from mlflow.entities.span import Span
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    export = ExportTraceServiceRequest()
    try:
        export.ParseFromString(_decompressed(body, (encoding or "").strip().lower()))
    except DecodeError:
        raise InvalidParameter("The body is no OTLP ExportTraceServiceRequest in protobuf; send one "
                               "with Content-Type application/x-protobuf.") from None
    found = set()
    for resource_spans in export.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                try:
                    trace_id = Span.from_otel_proto(span).trace_id
                except Exception:  # noqa: BLE001 - MLflow refuses the whole export then (422)
                    continue
                if not isinstance(trace_id, str) or not trace_id:
                    raise InvalidParameter("A span's trace id (its mlflow.traceRequestId attribute) must be a "
                                           "non-empty string.")
                found.add(trace_id)
    return sorted(found)


def _decompressed(body: bytes, encoding: str) -> bytes:
    if not encoding:
        return body
    if encoding == "gzip":
        return _inflated(body, 31, members=True)
    if encoding == "deflate":  # a zlib stream, or a raw deflate stream (as MLflow takes both)
        try:
            return _inflated(body, 15, members=False)
        except TooLarge:
            raise
        except InvalidParameter:
            return _inflated(body, -15, members=False)
    raise InvalidParameter(f"Content-Encoding '{encoding[:40]}' is not supported; send gzip, deflate or none.")


def _inflated(body: bytes, window_bits: int, members: bool) -> bytes:
    """The decompressed body, at most MAX_BYTES; every gzip member of it when `members` (as
    Python's gzip reads them), and nothing left over."""
    out, rest = bytearray(), body
    while True:
        inflater = zlib.decompressobj(window_bits)
        try:
            out += inflater.decompress(rest, MAX_BYTES + 1 - len(out))
        except zlib.error:
            raise InvalidParameter("The body could not be decompressed as its Content-Encoding says.") from None
        if len(out) > MAX_BYTES or inflater.unconsumed_tail:
            raise TooLarge(f"The body decompresses to more than {MAX_BYTES} bytes, the largest "
                                   "OTLP export taken; send fewer spans at once.")
        if not inflater.eof:
            raise InvalidParameter("The body could not be decompressed as its Content-Encoding says.")
        rest = inflater.unused_data.lstrip(b"\x00") if members else inflater.unused_data
        if not rest:
            return bytes(out)
        if not members:
            raise InvalidParameter("The body holds data after its compressed stream; send one stream.")
