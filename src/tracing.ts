import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context, Span, Tracer } from '@opentelemetry/api';
import type { Logger } from './logging.ts';

/**
 * OpenTelemetry tracing, off by default. With `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) set, the
 * container starts a `Tracing` and spans are exported over OTLP/HTTP: the webhook request, each job it causes (the
 * trace context travels inside the job), HubSpot calls, ingest, the agent's model call and the write-back, so one
 * trace shows a delivery from receipt to the HubSpot write; audit rows carry its trace id.
 *
 * A `Tracing` belongs to its container: its tracer provider is never registered as OpenTelemetry's global, and
 * the active span lives in its own AsyncLocalStorage, so two containers in one process trace apart and closing
 * one flushes only its spans. The OpenTelemetry packages are imported only by `startTracing` with an endpoint: the
 * embedded default never loads them. Modules wrap work in `tracing.withSpan` and need not know whether it is on.
 */

export type SpanAttributes = Record<string, string | number | boolean | undefined>;

export interface TracingOptions {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL (`/v1/traces` is appended). */
  endpoint?: string | undefined;
  /** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: the full traces URL; wins over `endpoint`. */
  tracesEndpoint?: string | undefined;
  serviceName: string;
  /** `serve`, `worker`, ...: tells the processes of one deployment apart. */
  role: string;
  logger: Logger;
}

interface Otel {
  api: typeof import('@opentelemetry/api');
  tracer: Tracer;
  shutdown: () => Promise<void>;
}

export class Tracing {
  private readonly active = new AsyncLocalStorage<Span>();
  private otel: Otel | undefined;

  /** Tracing off: every method is a pass-through. */
  constructor(otel?: Otel) {
    this.otel = otel;
  }

  get enabled(): boolean {
    return this.otel !== undefined;
  }

  /**
   * Runs `fn` inside a span (a child of the active one, or of `parent`, a W3C `traceparent`, when given). Errors are
   * recorded on the span and rethrown. Without tracing: just `fn()`.
   */
  async withSpan<T>(name: string, attributes: SpanAttributes, fn: (span?: Span) => Promise<T>, parent?: string): Promise<T> {
    const o = this.otel;
    if (!o) return fn();
    const { api, tracer } = o;
    const attrs = Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined)) as Record<string, string | number | boolean>;
    const span = tracer.startSpan(name, { attributes: attrs }, this.parentContext(o, parent));
    return this.active.run(span, async () => {
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
  traceparent(): string | undefined {
    const ctx = this.otel ? this.active.getStore()?.spanContext() : undefined;
    if (!ctx || !this.otel!.api.isSpanContextValid(ctx)) return undefined;
    return `00-${ctx.traceId}-${ctx.spanId}-0${(ctx.traceFlags & 1).toString(16)}`;
  }

  /** The active trace's id (32 hex digits), for audit rows and logs; undefined without tracing or span. */
  traceId(): string | undefined {
    const id = this.otel ? this.active.getStore()?.spanContext().traceId : undefined;
    return id && !/^0+$/.test(id) ? id : undefined;
  }

  /** Flushes the spans still in memory and stops exporting; a collector that does not answer is given 5 s. */
  async close(): Promise<void> {
    const o = this.otel;
    this.otel = undefined;
    if (!o) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([o.shutdown(), new Promise<void>((resolve) => (timer = setTimeout(resolve, 5_000).unref()))]);
    clearTimeout(timer);
  }

  private parentContext(o: Otel, parent: string | undefined): Context {
    // W3C trace context: version-traceid-parentid-flags (https://www.w3.org/TR/trace-context/#traceparent-header).
    const m = parent ? /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(parent) : null;
    if (m) {
      const remote = { traceId: m[1]!, spanId: m[2]!, traceFlags: Number.parseInt(m[3]!, 16) & 1, isRemote: true };
      if (o.api.isSpanContextValid(remote)) return o.api.trace.setSpanContext(o.api.ROOT_CONTEXT, remote);
    }
    const span = this.active.getStore();
    return span ? o.api.trace.setSpan(o.api.ROOT_CONTEXT, span) : o.api.ROOT_CONTEXT;
  }
}

/** Tracing off (stateless: every method is a pass-through), for modules built without a container's `Tracing`. */
export const NO_TRACING = new Tracing();

/** A container's tracing: exporting over OTLP/HTTP when an endpoint is configured, else off. */
export async function startTracing(opts: TracingOptions): Promise<Tracing> {
  const url = opts.tracesEndpoint ?? (opts.endpoint ? `${opts.endpoint.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (!url) return new Tracing();
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
  // Not `provider.register()`: that would make this container's provider, context manager and propagator the
  // process's globals. The tracer comes from the provider itself, the Tracing keeps the active span and writes
  // and reads `traceparent` itself.
  opts.logger.info({ url }, 'tracing: exporting spans over OTLP/HTTP');
  return new Tracing({
    api,
    tracer: provider.getTracer('hubspot-ai'),
    shutdown: () => provider.shutdown().catch((err: unknown) => opts.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'tracing: flush failed')),
  });
}
