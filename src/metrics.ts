import client from 'prom-client';

/**
 * Prometheus metrics. Every counter, histogram and gauge of the product lives in one `ContainerMetrics` (its own
 * registry), created by the container and closed with it, and handed to the modules that count (gateway, queue,
 * embedder, provider, write-back, API): two containers in one process never share a value, a portal-label
 * configuration or a scrape-time source. Names are stable: dashboards depend on them (deploy/grafana/hubspot-ai.json).
 *
 * The process's own metrics (`process_cpu_user_seconds_total`, `nodejs_eventloop_lag_seconds`, GC, heap, ...) keep
 * their standard names so stock Node.js dashboards work. They describe the process, which the containers in it do
 * share; they are collected once per process, on the first scrape, because prom-client starts an event-loop
 * monitor and a GC observer per collection that nothing can stop: one per container would pile up in a test run.
 */
let processRegistry: client.Registry | undefined;

/** The process's CPU, memory, event loop, GC and handle metrics, started on first use. */
export function processMetrics(): client.Registry {
  if (!processRegistry) {
    processRegistry = new client.Registry();
    client.collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** Job counts by type, then by state (the queue port's `stats()`). */
type QueueStatsSource = () => Promise<{ [type: string]: object }>;

/** The current lead scorer's validation and its latest live report, by figure (scorer-store.ts `figures`). */
type ScorerFiguresSource = () => Promise<Record<string, number>>;

/** The figures `hubspot_ai_judgments` exposes (the latest `validate judgments` run, judgment-report.ts). */
const JUDGMENT_FIGURES: ReadonlySet<string> = new Set(['churn_outcomes', 'churn_right_rate', 'churn_bound_gap', 'followthrough_steps', 'followthrough_rate', 'recalibrate']);

/** The figures `hubspot_ai_lead_scorer` exposes (its `figure` label values). */
const SCORER_FIGURES: ReadonlySet<string> = new Set([
  'validated', 'confidence_bound', 'heldout_auc', 'heldout_auc_low', 'closed_deals',
  'live_outcomes', 'live_auc', 'live_ece', 'auc_drift', 'ece_drift', 'confidence_gap', 'confidence_outcomes', 'overconfident', 'retrain',
]);

async function withinMs<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export interface PortalLabelOptions {
  /** METRICS_PORTALS: the portals labelled by id; every other one is "other". */
  allow?: readonly string[] | undefined;
  /** METRICS_PORTAL_LABELS: without an allow list, the first `max` portals seen are labelled by id. Default 20. */
  max?: number | undefined;
  /**
   * False when /metrics is open to anyone (no METRICS_TOKEN): no portal id is a label value, every portal counts
   * under "all" (a job without a portal stays "none"). Default true.
   */
  ids?: boolean | undefined;
}

/**
 * One container's metrics: the counters and histograms its modules increment, and the gauges read from its state
 * at scrape time (its queue's job counts, its lead scorer's figures), in a registry of its own. Two containers in
 * one process count apart, and a closed container's metrics go with it. `/metrics` serves them merged with the
 * process's own metrics (`metricsText`). Modules built outside a container (tests, benches) get a fresh one.
 */
export class ContainerMetrics {
  readonly registry = new client.Registry();
  readonly webhookEvents = new client.Counter({
    name: 'hubspot_ai_webhook_events_total',
    help: 'Webhook events by subscription type and result: accepted or ignored when received; processed, duplicate, stale, echo or ignored when processed.',
    labelNames: ['subscription_type', 'result'] as const,
    registers: [this.registry],
  });
  readonly webhookRequests = new client.Counter({
    name: 'hubspot_ai_webhook_requests_total',
    help: 'Webhook HTTP requests, by endpoint and status code.',
    labelNames: ['endpoint', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route (the route pattern, or "unmatched") and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly jobDuration = new client.Histogram({
    name: 'hubspot_ai_job_duration_seconds',
    help: 'Job run time by type and outcome.',
    labelNames: ['type', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  /**
   * Where an embedded enqueue (a webhook acknowledgement writes one) spends its time: `serialise` (the rows, before
   * any lock), `lock_wait` (another connection held the journal file's write lock: retried on later turns of the
   * event loop), `begin` (BEGIN IMMEDIATE that got the lock), `insert` (the statements) and `commit` (the WAL
   * append). BullMQ: `redis`, the add's round trip. bench:webhooks prints it per run.
   */
  readonly enqueueSeconds = new client.Histogram({
    name: 'hubspot_ai_queue_enqueue_seconds',
    help: 'Queue enqueue time by phase: embedded serialise, lock_wait (the journal file was locked by another connection), begin, insert, commit; BullMQ redis (the round trip).',
    labelNames: ['phase'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly hubspotRequests = new client.Counter({
    name: 'hubspot_ai_hubspot_requests_total',
    help: 'HubSpot API calls by operation and status class.',
    labelNames: ['operation', 'status'] as const,
    registers: [this.registry],
  });
  readonly hubspot429 = new client.Counter({
    name: 'hubspot_ai_hubspot_429_total',
    help: 'HubSpot 429 answers by policy name.',
    labelNames: ['policy'] as const,
    registers: [this.registry],
  });
  readonly embeddingTokens = new client.Counter({
    name: 'hubspot_ai_embedding_tokens_total',
    help: 'Embedding tokens sent to the provider, by model; counted by the server (usage), by cl100k (exact for OpenAI models) or estimated (other models without usage).',
    labelNames: ['model', 'counted'] as const,
    registers: [this.registry],
  });
  readonly embeddingCacheHits = new client.Counter({
    name: 'hubspot_ai_embedding_cache_hits_total',
    help: 'Embedding inputs answered by the cache.',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });
  readonly modelTokens = new client.Counter({
    name: 'hubspot_ai_model_tokens_total',
    help: 'Chat model tokens by model and direction (input, output).',
    labelNames: ['model', 'direction'] as const,
    registers: [this.registry],
  });
  readonly costUsd = new client.Counter({
    name: 'hubspot_ai_cost_usd_total',
    help: 'Estimated provider cost in USD by kind (embedding, chat) and model.',
    labelNames: ['kind', 'model'] as const,
    registers: [this.registry],
  });
  readonly portalJobs = new client.Counter({
    name: 'hubspot_ai_portal_jobs_total',
    help: 'Finished job attempts by portal (bounded: METRICS_PORTALS or the first METRICS_PORTAL_LABELS, then "other"), type and outcome.',
    labelNames: ['portal', 'type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly portalModelTokens = new client.Counter({
    name: 'hubspot_ai_portal_model_tokens_total',
    help: 'Chat model tokens (input + output, not cached answers) by portal (bounded, see hubspot_ai_portal_jobs_total).',
    labelNames: ['portal'] as const,
    registers: [this.registry],
  });
  readonly portalModelCostUsd = new client.Counter({
    name: 'hubspot_ai_portal_model_cost_usd_total',
    help: 'Chat model cost in USD by portal (bounded, see hubspot_ai_portal_jobs_total).',
    labelNames: ['portal'] as const,
    registers: [this.registry],
  });
  readonly portalQuotaRefusals = new client.Counter({
    name: 'hubspot_ai_portal_quota_refusals_total',
    help: 'Generations refused because the portal spent its model quota (MODEL_QUOTA_SPENT), by portal (bounded).',
    labelNames: ['portal'] as const,
    registers: [this.registry],
  });
  readonly decisions = new client.Counter({
    name: 'hubspot_ai_decisions_total',
    help: 'Write-back decisions by agent and outcome (apply, review, reject).',
    labelNames: ['agent', 'outcome'] as const,
    registers: [this.registry],
  });
  // Read by the gauges' collect(), whose `this` is the gauge.
  private readonly sources: { queue?: QueueStatsSource | undefined; scorer?: ScorerFiguresSource | undefined; judgments?: ScorerFiguresSource | undefined } = {};

  /**
   * The `portal` label of the per-portal metrics, with bounded cardinality: the configured portals by name, else
   * the first `max` portals this container sees; every other portal is counted as "other", and a job without a
   * portal as "none". A deployment with thousands of portals keeps at most max + 2 series per metric and label set.
   */
  private readonly portals: { allow: ReadonlySet<string> | undefined; max: number; seen: Set<string>; ids: boolean };

  constructor(opts: { portalLabels?: PortalLabelOptions } = {}) {
    const allow = opts.portalLabels?.allow?.filter(Boolean) ?? [];
    this.portals = { allow: allow.length > 0 ? new Set(allow) : undefined, max: opts.portalLabels?.max ?? 20, seen: new Set(), ids: opts.portalLabels?.ids ?? true };
    const sources = this.sources;
    new client.Gauge({
      name: 'hubspot_ai_queue_jobs',
      help: 'Jobs in the queue by type and state (waiting, active, delayed, completed, failed = retrying, dead), read at scrape time.',
      labelNames: ['type', 'state'] as const,
      registers: [this.registry],
      async collect() {
        const source = sources.queue;
        if (!source) return;
        // A queue that cannot answer (Redis down) must not hang the scrape: the gauge keeps its last values.
        const stats = await withinMs(source().catch(() => undefined), 2_000);
        if (!stats) return;
        for (const [type, byState] of Object.entries(stats)) {
          if (type === 'total') continue;
          for (const [state, n] of Object.entries(byState as Record<string, number>)) this.set({ type, state }, n);
        }
      },
    });
    new client.Gauge({
      name: 'hubspot_ai_lead_scorer',
      help: 'The current lead scorer by figure: validated (1/0), confidence_bound, heldout_auc, heldout_auc_low, closed_deals; and from the latest `hubspot-ai scorer report`: live_auc, live_ece, auc_drift (held-out minus live), ece_drift (live minus held-out), confidence_gap (|right rate - confidence| over live outcomes; goal <= 0.05), confidence_outcomes, overconfident (1/0), live_outcomes, retrain (1/0).',
      labelNames: ['figure'] as const,
      registers: [this.registry],
      async collect() {
        const source = sources.scorer;
        if (!source) return;
        const figures = await withinMs(source().catch(() => undefined), 2_000);
        if (!figures) return;
        // Only the documented figures become label values: the label set stays bounded whatever the store returns.
        for (const [figure, value] of Object.entries(figures)) if (SCORER_FIGURES.has(figure) && Number.isFinite(value)) this.set({ figure }, value);
      },
    });
    new client.Gauge({
      name: 'hubspot_ai_judgments',
      help: 'Live drift of churn ratings and next steps, from the latest `hubspot-ai validate judgments`: churn_outcomes (ratings with a deal closed after them), churn_right_rate, churn_bound_gap (largest stored bound minus live right rate over value classes with >= 30 outcomes; > 0 means the bound promises more than the portal shows), followthrough_steps, followthrough_rate (next steps matched by work logged within 30 days), recalibrate (1/0).',
      labelNames: ['figure'] as const,
      registers: [this.registry],
      async collect() {
        const source = sources.judgments;
        if (!source) return;
        const figures = await withinMs(source().catch(() => undefined), 2_000);
        if (!figures) return;
        for (const [figure, value] of Object.entries(figures)) if (JUDGMENT_FIGURES.has(figure) && Number.isFinite(value)) this.set({ figure }, value);
      },
    });
  }

  /** Makes `hubspot_ai_judgments` read the latest judgment report at scrape time; returns the function that stops it. */
  collectJudgmentFigures(source: ScorerFiguresSource): () => void {
    this.sources.judgments = source;
    return () => {
      if (this.sources.judgments === source) this.sources.judgments = undefined;
    };
  }

  /** Makes `hubspot_ai_queue_jobs` read this queue when Prometheus scrapes; returns the function that stops it. */
  collectQueueStats(source: QueueStatsSource): () => void {
    this.sources.queue = source;
    return () => {
      if (this.sources.queue === source) this.sources.queue = undefined;
    };
  }

  /** Makes `hubspot_ai_lead_scorer` read this scorer store at scrape time; returns the function that stops it. */
  collectScorerFigures(source: ScorerFiguresSource): () => void {
    this.sources.scorer = source;
    return () => {
      if (this.sources.scorer === source) this.sources.scorer = undefined;
    };
  }

  /** The `portal` label value for a portal (see `portals`). */
  portalLabel(portalId: string): string {
    if (!portalId) return 'none';
    const p = this.portals;
    if (!p.ids) return 'all';
    if (p.allow) return p.allow.has(portalId) ? portalId : 'other';
    if (p.seen.has(portalId)) return portalId;
    if (p.seen.size < p.max) {
      p.seen.add(portalId);
      return portalId;
    }
    return 'other';
  }

  close(): void {
    this.sources.queue = undefined;
    this.sources.scorer = undefined;
    this.sources.judgments = undefined;
    this.portals.seen.clear();
    this.registry.clear();
  }
}

/** The Prometheus text of one container's metrics (when given) and the process's own. */
export async function metricsText(container?: ContainerMetrics): Promise<{ contentType: string; body: string }> {
  const process = processMetrics();
  const merged = container ? client.Registry.merge([process, container.registry]) : process;
  // prom-client writes a NaN sample as `Nan` (lib/util.js), which the text format does not accept: Prometheus
  // reads `NaN`. It happens on a first scrape, before the event-loop monitor has a sample (its mean is NaN).
  return { contentType: process.contentType, body: (await merged.metrics()).replace(/ Nan$/gm, ' NaN') };
}
