import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { trace as otelTrace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { companyWithOpenDeal, startE2eStack, type E2eStack } from '../e2e/e2e-stack.ts';
import { waitFor } from '../queue/queue.contract.ts';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

/**
 * Tracing on (an OTLP/HTTP endpoint set): a signed webhook delivery, the batch job, the generation job, the model
 * call and the HubSpot write share one trace, whose id is on the audit rows. The collector is a plain HTTP server
 * reading OTLP's JSON encoding, as an OpenTelemetry collector would receive it.
 */
describe('OpenTelemetry tracing', () => {
  const spans: OtlpSpan[] = [];
  let collector: http.Server;
  let s: E2eStack;

  beforeAll(async () => {
    collector = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const doc = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
        for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const { port } = collector.address() as { port: number };
    // The container's own tracing: nothing is registered as OpenTelemetry's process-wide global.
    s = await startE2eStack({ companies: 8, env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_SERVICE_NAME: 'hubspot-ai-test' } });
  }, 180_000);

  afterAll(async () => {
    await s?.close();
    collector?.close();
  });

  it('follows a webhook from receipt through jobs, the model and the HubSpot write, and puts the trace id on the audit rows', async () => {
    const truth = s.sandbox.groundTruth();
    const companyId = companyWithOpenDeal(truth, truth.whaleAccountIds);
    const call = await s.simulate('call', { companyId });
    const callId = call.ids.calls![0]!;
    await s.settle();
    const wb = await s.container.writeback();
    let applied: Awaited<ReturnType<typeof wb.audit>> = [];
    await waitFor(async () => {
      applied = (await wb.audit({ agent: 'call_summary', event: 'applied', limit: 1000 })).filter((e) => e.outcome !== null);
      return applied.length > 0;
    }, 60_000, 'the call summary written');
    const traceId = applied.at(-1)!.otelTraceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    // Every row of that run carries it.
    const run = await wb.audit({ runId: applied.at(-1)!.runId!, limit: 1000 });
    expect(run.length).toBeGreaterThan(1);
    expect(new Set(run.map((e) => e.otelTraceId))).toEqual(new Set([traceId]));

    await (await s.container.tracing()).close(); // flushes the batch of spans still in memory
    const trace = spans.filter((sp) => sp.traceId === traceId);
    const names = trace.map((sp) => sp.name);
    for (const name of ['POST /webhooks/hubspot', 'job webhook.batch', 'job generate.call_summary', 'llm.generate', 'writeback.submit']) {
      expect(names, `${name} in ${JSON.stringify([...new Set(names)])}`).toContain(name);
    }
    expect(names.some((n) => n.startsWith('hubspot '))).toBe(true);
    // One tree: every span but the root has its parent in the trace.
    const ids = new Set(trace.map((sp) => sp.spanId));
    const roots = trace.filter((sp) => !sp.parentSpanId || !ids.has(sp.parentSpanId));
    expect(roots.map((r) => r.name)).toEqual(['POST /webhooks/hubspot']);
    // One path, each step once: the generation's job is a child of the ingest job that indexed its content (one
    // queue hop, no timer), which is a child of the delivery's batch job, a child of the webhook request.
    const byId = new Map(trace.map((sp) => [sp.spanId, sp]));
    const generations = trace.filter((sp) => sp.name === 'job generate.call_summary');
    expect(generations).toHaveLength(1);
    const chain: string[] = [];
    for (let sp: OtlpSpan | undefined = generations[0]; sp; sp = sp.parentSpanId ? byId.get(sp.parentSpanId) : undefined) chain.push(sp.name);
    expect(chain).toEqual(['job generate.call_summary', 'job ingest.record', 'job webhook.batch', 'POST /webhooks/hubspot']);
    // Within that generation: one model call and one write-back.
    const under = (sp: OtlpSpan, root: string): boolean => sp.spanId === root || (!!sp.parentSpanId && !!byId.get(sp.parentSpanId) && under(byId.get(sp.parentSpanId)!, root));
    const inGeneration = trace.filter((sp) => under(sp, generations[0]!.spanId));
    expect(inGeneration.filter((sp) => sp.name === 'llm.generate')).toHaveLength(1);
    expect(inGeneration.filter((sp) => sp.name === 'writeback.submit')).toHaveLength(1);
    // The container's tracing never became OpenTelemetry's process-wide provider: a global tracer records nothing.
    expect(otelTrace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
    expect(callId).toBeTruthy();
  });

  it('never loads OpenTelemetry unless tracing is configured', () => {
    // Value imports of the SDK appear only inside initTracing's dynamic imports; elsewhere only types.
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && /^import (?!type )[^;]*from '@opentelemetry\//m.test(fs.readFileSync(p, 'utf8'))) offenders.push(p);
      }
    };
    walk(path.resolve('src'));
    expect(offenders).toEqual([]);
  });
});
