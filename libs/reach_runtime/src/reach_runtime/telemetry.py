"""OpenTelemetry: one upstream event is one trace across services, via Kafka headers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

KafkaHeaders = Sequence[tuple[str, bytes]]

_configured = False


def configure_tracing(service_name: str, otlp_endpoint: str | None) -> None:
    """Install the SDK tracer provider once per process; export over OTLP when configured."""
    global _configured
    if _configured:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": f"reach-{service_name}"}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{otlp_endpoint}/v1/traces"))
        )
    trace.set_tracer_provider(provider)
    _configured = True


def tracer() -> trace.Tracer:
    return trace.get_tracer("reach")


def context_from_headers(headers: Iterable[tuple[str, bytes]] | None) -> context.Context:
    """The trace context carried by a Kafka message (W3C traceparent), or an empty one."""
    carrier = {k: v.decode("latin-1") for k, v in (headers or ()) if k in _FIELDS}
    return propagate.extract(carrier)


def current_trace_headers() -> list[tuple[str, str]]:
    """The current trace context as (name, value) pairs to store with an outgoing message."""
    if not trace.get_current_span().get_span_context().is_valid:
        return []  # nothing to carry (and inject is not free)
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return sorted(carrier.items())


_FIELDS = {"traceparent", "tracestate", "baggage"}
