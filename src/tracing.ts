import type { Span, Tracer } from '@opentelemetry/api';
import type { Logger } from './logging.ts';

/**
 * OpenTelemetry tracing, off by default. With `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) set, the
 * composition root calls `initTracing` and spans are exported over OTLP/HTTP: the webhook request, each job it
 * causes (the trace context travels inside the job), HubSpot calls, ingest, the agent's model call and the
 * write-back, so one trace shows a delivery from receipt to the HubSpot write; audit rows carry its trace id.
 *
 * Everything here is a no-op until then, and the OpenTelemetry packages are imported only by `initTracing`: the
 * embedded default never loads them. Modules wrap work in `withSpan` and need not know whether tracing is on.
 */

type OtelApi = typeof import('@opentelemetry/api');
let otel: { api: OtelApi; tracer: Tracer } | undefined;

export type SpanAttributes = Record<string, string | number | boolean | undefined>;

export interface TracingOptions {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL (`/v1/traces` is appended). */
  endpoint?: string;
  /** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: the full traces URL; wins over `endpoint`. */
  tracesEndpoint?: string;
  serviceName: string;
  /** `serve`, `worker`, ...: tells the processes of one deployment apart. */
  role: string;
  logger: Logger;
}

/** Starts exporting spans; returns the function that flushes and stops (call it on shutdown). */
export async function initTracing(opts: TracingOptions): Promise<() => Promise<void>> {
  const url = opts.tracesEndpoint ?? (opts.endpoint ? `${opts.endpoint.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (!url || otel) return async () => undefined;
  const [api, { NodeTracerProvider }, { BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': opts.serviceName, 'service.instance.role': opts.role, 'process.pid': process.pid }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }), { scheduledDelayMillis: 1_000 })],
  });
  // Registers the AsyncLocalStorage context manager and the W3C trace-context propagator.
  provider.register();
  otel = { api, tracer: api.trace.getTracer('hubspot-ai') };
  opts.logger.info({ url }, 'tracing: exporting spans over OTLP/HTTP');
  return async () => {
    otel = undefined;
    await provider.shutdown().catch((err: unknown) => opts.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'tracing: flush failed'));
  };
}

export function tracingEnabled(): boolean {
  return otel !== undefined;
}

/**
 * Runs `fn` inside a span (a child of the active one, or of `parent`, a W3C `traceparent`, when given). Errors are
 * recorded on the span and rethrown. Without tracing: just `fn()`.
 */
export async function withSpan<T>(name: string, attributes: SpanAttributes, fn: (span?: Span) => Promise<T>, parent?: string): Promise<T> {
  const o = otel;
  if (!o) return fn();
  const { api, tracer } = o;
  const ctx = parent ? api.propagation.extract(api.context.active(), { traceparent: parent }) : api.context.active();
  const attrs = Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined)) as Record<string, string | number | boolean>;
  return tracer.startActiveSpan(name, { attributes: attrs }, ctx, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The active span's W3C `traceparent`, to carry the trace into a job; undefined without tracing or span. */
export function currentTraceparent(): string | undefined {
  const o = otel;
  if (!o) return undefined;
  const carrier: Record<string, string> = {};
  o.api.propagation.inject(o.api.context.active(), carrier);
  return carrier.traceparent;
}

/** The active trace's id (32 hex digits), for audit rows and logs; undefined without tracing or span. */
export function currentTraceId(): string | undefined {
  const span = otel?.api.trace.getActiveSpan();
  const id = span?.spanContext().traceId;
  return id && !/^0+$/.test(id) ? id : undefined;
}
