import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/config.ts';
import { errorMessage } from '../errors.ts';
import { createLogger } from '../logging.ts';
import { createContainer, type Container } from '../runtime/container.ts';
import { freePort } from '../runtime/free-port.ts';
import type { AuditEntry } from '../writeback/audit-store.ts';
import { isUnchanged } from '../writeback/decide.ts';
import { EXIT } from './exit-codes.ts';
import { clipAtWord } from '../core/clip-text.ts';
import { wrapWords } from '../core/wrap.ts';

/**
 * `hubspot-ai demo`: the whole product on the embedded default, against a seeded sandbox portal, with nothing
 * to install: setup, backfill (progress bar), a simulated sales day through real signed webhooks, and a report
 * of what the agents proposed and what the write-back decided.
 */
export interface DemoOptions {
  exit?: boolean;
  port: number;
  companies: number;
  /** Accounts with hundreds of long e-mails (default 1): ~260k tokens, minutes for a CPU embedding model. */
  whales?: number;
}

interface SimulatedEvent {
  label: string;
  what: string;
  objectType: string;
  objectId: string;
  accountId: string;
}

const out = (s = '') => process.stdout.write(`${s}\n`);

/** Settings the demo takes from the environment; everything else (ports, tokens, data) it sets itself. */
const MODEL_SETTINGS = [
  'EMBEDDING_PROVIDER', 'EMBEDDING_MODEL', 'EMBEDDING_DIMENSIONS', 'EMBEDDING_QUERY_PREFIX', 'EMBEDDING_DOCUMENT_PREFIX',
  'EMBEDDING_BATCH_SIZE', 'EMBEDDING_TIMEOUT_MS', 'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'LLM_PROVIDER', 'CHAT_MODEL', 'LLM_TIMEOUT_MS',
] as const;

function pick(env: NodeJS.ProcessEnv, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.flatMap((k) => (env[k] !== undefined ? [[k, env[k]]] : [])));
}

export async function demoCommand(opts: DemoOptions): Promise<number> {
  const t0 = performance.now();
  const dataDir = path.resolve(process.env.DATA_DIR ?? './data', 'demo');
  // The demo owns this folder: start from a clean index, queue and audit every time.
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  const logger = createLogger(process.env.LOG_LEVEL === 'info' ? 'info' : (process.env.LOG_LEVEL ?? 'warn'));

  const apiPort = opts.port === 0 ? await freePort() : opts.port;
  const clientSecret = crypto.randomBytes(16).toString('hex');
  const adminToken = `demo-admin-${crypto.randomBytes(8).toString('hex')}`;
  const reviewerToken = `demo-reviewer-${crypto.randomBytes(8).toString('hex')}`;
  const apiUrl = `http://127.0.0.1:${apiPort}`;

  step(`Starting the sandbox portal (seed 7, ${opts.companies} companies)`);
  const { startSandbox } = await import('../sandbox/index.ts');
  const sandbox = await startSandbox({
    port: 0,
    seed: 7,
    companies: opts.companies,
    ...(opts.whales !== undefined ? { whales: opts.whales } : {}),
    rateLimit: 190,
    webhookTarget: `${apiUrl}/webhooks/hubspot`,
    clientSecret,
    webhookBatchMs: 200,
    // Some companies lose their industry or head count, for the enrichment agent to propose them back.
    enrichmentGaps: 0.3,
    logger: logger.child({ module: 'sandbox' }),
  });
  const truth = sandbox.groundTruth();
  out(`  ${sandbox.url}  portal ${sandbox.portalId}: ${truth.counts.companies} companies, ${truth.counts.contacts} contacts, ${truth.counts.deals} deals, ` +
    `${truth.counts.emails + truth.counts.calls + truth.counts.notes + truth.counts.meetings + truth.counts.tasks} engagements`);

  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    LOG_LEVEL: logger.level,
    HUBSPOT_BASE_URL: sandbox.url,
    HUBSPOT_ACCESS_TOKEN: sandbox.token,
    HUBSPOT_CLIENT_SECRET: clientSecret,
    HUBSPOT_APP_ID: sandbox.appId,
    API_TOKENS: `${adminToken}:admin:demo-admin,${reviewerToken}:reviewer:demo-reviewer`,
    WEBHOOK_COALESCE_MS: '300',
    // The sandbox portal's enrichment provider (a vendor API in production: ENRICHMENT_URL + ENRICHMENT_API_KEY).
    ENRICHMENT_URL: 'sandbox',
    // The models are the user's choice: e.g. a local embedding server (README, "Fully local, semantic").
    ...pick(process.env, MODEL_SETTINGS),
  });
  const c = createContainer(config, logger);
  let exitCode: number = EXIT.OK;
  let app: Awaited<ReturnType<typeof import('../runtime/http.ts').buildServiceApp>> | undefined;
  let workers: Awaited<ReturnType<typeof import('../runtime/workers.ts').startWorkers>> | undefined;
  try {
    const offline = config.embeddings.provider === 'offline' && config.llm.provider === 'offline';
    step(`Starting the service on the embedded default (SQLite + sqlite-vec${offline ? ', offline embedder and provider' : ''})`);
    if (!offline) {
      out(`  embeddings: ${config.embeddings.provider === 'offline' ? 'offline' : `${config.embeddings.model} at ${config.OPENAI_BASE_URL ?? 'OpenAI'}`}`);
      out(`  generation: ${config.llm.provider === 'offline' ? 'offline' : config.llm.model}`);
    }
    const { buildServiceApp } = await import('../runtime/http.ts');
    app = await buildServiceApp(c);
    await app.listen({ port: apiPort, host: '127.0.0.1' });
    out(`  ${apiUrl}  (API docs: ${apiUrl}/docs)`);

    step('hubspot-ai setup: ai_* properties');
    const wb = await c.writeback();
    const setup = await wb.setup();
    out(`  ${setup.created} created, ${setup.existing} already there, ${setup.failed} failed`);

    step('hubspot-ai backfill: every account\'s full history into the index');
    const backfill = await runDemoBackfill(c);
    out(`  ${backfill.records} records → ${backfill.accounts} accounts, ${backfill.chunks} chunks (${backfill.embeddingTokens} embedding tokens) in ${(backfill.durationMs / 1000).toFixed(1)} s`);

    step('hubspot-ai train-scorer: lead scorer on the portal\'s closed deals');
    const { trainScorerCommand } = await import('../agents/scorer/train-command.ts');
    await trainScorerCommand({ gateway: await c.gateway(), store: await c.scorers(), logger, print: (l) => out(`  ${l}`) });

    const { startWorkers } = await import('../runtime/workers.ts');
    workers = await startWorkers(c);

    step('Simulating a sales team\'s day in HubSpot (each change reaches us as a signed webhook)');
    const simStart = new Date(Date.now() - 1000).toISOString();
    const events = await simulateDay(sandbox.url, truth);
    for (const e of events) out(`  • ${e.label}: ${e.what}`);

    step('Waiting for webhooks, ingest and generation jobs');
    await settle(c, sandbox, process.stdout.isTTY ? (l) => process.stdout.write(`\r${l}\x1b[K`) : () => undefined);
    if (process.stdout.isTTY) out();

    const enriched = await enrichOne(apiUrl, adminToken, truth);
    if (enriched) {
      step('Enrichment of a company with empty firmographics (as on a company.creation webhook)');
      out(`  • ${enriched.label}: ${enriched.what}`);
      events.push(enriched);
    }

    const report = await buildReport(c, events, simStart);
    out();
    out(`── Report ${'─'.repeat(69)}`);
    const stats = await (await import('../ingest/index-stats.ts')).indexStats(await c.store(), sandbox.portalId);
    for (const l of wrap(`Indexed: ${stats.accounts} accounts, ${stats.chunks} chunks (${Object.entries(stats.chunksBySourceType).map(([k, v]) => `${k} ${v}`).join(', ')})`, '  ')) out(l);
    for (const section of report.sections) {
      out();
      for (const l of wrap(`${section.event.label}: ${section.event.what}`, '  ')) out(l);
      if (section.lines.length === 0) out('    (no proposals)');
      for (const l of section.lines) out(l);
    }
    out();
    for (const l of wrap(`Totals: ${report.applied} applied (with each run's ai_last_run and ai_model stamps), ${report.review} waiting for review, ` +
      `${report.unchanged} unchanged, ${report.rejected} rejected` +
      `${report.failedJobs ? `, ${report.failedJobs} failed jobs (hubspot-ai jobs dead)` : ''}`, '  ')) out(l);
    for (const l of wrap(`AI notes: ${report.notes.notes} written, one per event and agent, each on every relevant record` +
      (report.notes.duplicates ? `; ${report.notes.duplicates} DUPLICATE(S)` : '; no duplicates'), '  ')) out(l);
    for (const l of wrap(`Lead scores: ${report.scores.applied} applied, ${report.scores.review} waiting for review` +
      (report.scores.unvalidated ? `, ${report.scores.unvalidated} of them because the scorer is not validated (model_unvalidated)` : ''), '  ')) out(l);
    if (enriched) {
      const e = report.enrichment;
      for (const l of wrap(`Enrichment: ${e.proposed} value(s) proposed, ${e.applied} applied, ${e.review} waiting for review` +
        (e.unvalidated ? `, ${e.unvalidated} of them because the model has no held-out enrichment measurement (model_unvalidated)` : '') +
        `; ${e.overwrites} value(s) already there replaced`, '  ')) out(l);
    }
    out();
    const first = events.find((e) => !e.accountId.startsWith('contact:'))?.accountId ?? truth.companies[0]?.id ?? '1';
    for (const l of whereToLook({ apiUrl, reviewerToken, adminToken, accountId: first, since: simStart, serving: !opts.exit })) out(l);
    out(`Finished in ${((performance.now() - t0) / 1000).toFixed(1)} s.`);

    const problems = [
      ...(report.appliedNotes > 0 ? [] : ['no AI note was applied']),
      ...(report.replyDraft ? [] : ['no reply draft was applied or queued for review']),
      ...(report.failedJobs === 0 ? [] : [`${report.failedJobs} job(s) failed`]),
      ...(report.notes.duplicates === 0 ? [] : [`${report.notes.duplicates} duplicate AI note(s)`]),
      ...(report.scores.appliedUnvalidated === 0 ? [] : [`${report.scores.appliedUnvalidated} score(s) of an unvalidated scorer applied`]),
      ...(report.enrichment.overwrites === 0 ? [] : [`${report.enrichment.overwrites} value(s) already there overwritten by enrichment`]),
    ];
    if (problems.length) {
      for (const l of wrap(`✖ ${problems.join('; ')}`, '  ')) out(l);
      exitCode = EXIT.FAILURE;
    }
    if (!opts.exit) {
      out('\nServing until Ctrl-C (the sandbox keeps running too).');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    }
  } catch (err) {
    process.stderr.write(`hubspot-ai demo: ${errorMessage(err)}\n`);
    exitCode = EXIT.FAILURE;
  } finally {
    // Also after a failed step: a listening server would keep the process alive after the error.
    await app?.close();
    await workers?.close(10_000);
    await c.close();
    await sandbox.close();
  }
  return exitCode;
}

function step(s: string): void {
  out(`\n▶ ${s}`);
}

async function runDemoBackfill(c: Container) {
  const { runBackfill } = await import('../ingest/backfill.ts');
  const { createProgressReporter } = await import('../ingest/progress.ts');
  const [gateway, indexer, store, checkpoints] = await Promise.all([c.gateway(), c.indexer(), c.store(), c.checkpoints()]);
  return runBackfill(
    { gateway, indexer, store, checkpoints, logger: c.logger.child({ module: 'backfill' }), progress: createProgressReporter({ logger: c.logger }) },
    { concurrency: 4 },
  );
}

interface Truth {
  companies: Array<{ id: string; name: string; isCustomer: boolean }>;
  deals: Array<{ id: string; companyId: string | null; outcome: string }>;
}

/** A call with a transcript, a customer e-mail, a new lead from a form, a deal moving stage. */
async function simulateDay(sandboxUrl: string, truth: Truth): Promise<SimulatedEvent[]> {
  const post = async (what: string, body: Record<string, unknown>) => {
    const res = await fetch(`${sandboxUrl}/_sandbox/simulate/${what}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`sandbox simulate/${what} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as { accountId?: string; ids: Record<string, string[]>; truth?: Record<string, unknown> };
  };
  const openDeal = truth.deals.find((d) => d.outcome === 'open' && d.companyId);
  const companyId = openDeal?.companyId ?? truth.companies[0]?.id;
  const name = truth.companies.find((x) => x.id === companyId)?.name ?? `company ${companyId}`;
  const events: SimulatedEvent[] = [];

  const call = await post('call', { companyId });
  events.push({ label: 'Call logged', what: `a discovery call with ${name}, transcript attached (call ${call.ids.calls?.[0]})`, objectType: 'calls', objectId: call.ids.calls?.[0] ?? '', accountId: String(companyId) });

  const email = await post('email', { companyId, direction: 'INCOMING_EMAIL' });
  events.push({ label: 'Customer e-mail', what: `an incoming e-mail from ${name} (e-mail ${email.ids.emails?.[0]})`, objectType: 'emails', objectId: email.ids.emails?.[0] ?? '', accountId: String(companyId) });

  const lead = await post('contact', {});
  events.push({ label: 'New lead', what: `a form fill creates contact ${lead.ids.contacts?.[0]} (${lead.accountId ?? ''})`, objectType: 'contacts', objectId: lead.ids.contacts?.[0] ?? '', accountId: lead.accountId ?? '' });

  const deal = await post('deal-stage', openDeal ? { dealId: openDeal.id } : { companyId });
  const moved = deal.truth as { from?: string; to?: string } | undefined;
  events.push({ label: 'Deal stage change', what: `deal ${deal.ids.deals?.[0]} moves ${moved?.from ?? '?'} → ${moved?.to ?? '?'}`, objectType: 'deals', objectId: deal.ids.deals?.[0] ?? '', accountId: String(companyId) });
  return events;
}

/**
 * Runs the enrichment agent through the API on a company whose industry or head count the portal lost, one with a
 * fact about it in its history when there is one. Its proposals and decisions land in the audit log like any other.
 */
async function enrichOne(apiUrl: string, adminToken: string, truth: { enrichment?: { records: Array<{ companyId: string; gaps: string[]; stated: unknown[] }> } }): Promise<SimulatedEvent | null> {
  const records = truth.enrichment?.records.filter((r) => r.gaps.length > 0) ?? [];
  const pick = records.find((r) => r.stated.length > 0) ?? records[0];
  if (!pick) return null;
  const res = await fetch(`${apiUrl}/v1/accounts/${pick.companyId}/generate/enrichment`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: '{}',
  });
  if (!res.ok) throw new Error(`enrichment of company ${pick.companyId} answered ${res.status}: ${await res.text()}`);
  return { label: 'Enrichment', what: `company ${pick.companyId} has no ${pick.gaps.join(' and no ')}: the history and the sandbox's provider are asked`, objectType: 'companies', objectId: pick.companyId, accountId: pick.companyId };
}

/**
 * Waits until the sandbox has delivered every webhook and the queue is empty, twice in a row. The deadline is
 * 100 s without progress (a job finishing counts): a busy machine is slow, not stuck; at most 15 minutes.
 */
async function settle(c: Container, sandbox: { flushWebhooks(): Promise<void> }, show: (line: string) => void): Promise<void> {
  const queue = await c.queue();
  const cap = Date.now() + 15 * 60_000;
  let deadline = Date.now() + 100_000;
  let quiet = 0;
  let done = -1;
  while (quiet < 2) {
    await sandbox.flushWebhooks();
    const s = await queue.stats();
    const pending = s.total.waiting + s.total.active + s.total.delayed;
    quiet = pending === 0 ? quiet + 1 : 0;
    // On a terminal the wait is visible: on a busy machine it can last a minute.
    show(settleLine(s.total.completed, pending));
    if (s.total.completed !== done) {
      done = s.total.completed;
      deadline = Math.min(cap, Date.now() + 100_000);
    }
    if (quiet >= 2) break;
    if (Date.now() >= deadline) throw new Error(`the queue made no progress for 100 s (${pending} jobs pending)`);
    await queue.drain(Math.min(5_000, Math.max(1_000, deadline - Date.now()))).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function buildReport(c: Container, events: SimulatedEvent[], since: string) {
  const wb = await c.writeback();
  const entries = await wb.audit({ since, limit: 1000 });
  const decided = entries.filter((e) => e.event === 'decided' || e.decision);
  // The last word per proposal: its decision and what happened to it.
  const byProposal = new Map<string, AuditEntry[]>();
  for (const e of entries) {
    if (!e.proposalId) continue;
    byProposal.set(e.proposalId, [...(byProposal.get(e.proposalId) ?? []), e]);
  }
  let applied = 0;
  let appliedNotes = 0;
  let review = 0;
  let rejected = 0;
  let unchanged = 0;
  let held = 0;
  let replyDraft = false;
  const scores = { applied: 0, review: 0, unvalidated: 0, appliedUnvalidated: 0 };
  const enrichment = { proposed: 0, applied: 0, review: 0, unvalidated: 0, overwrites: 0 };
  // One note per event: the same run of the same agent never writes two notes (each is associated with every
  // relevant record instead).
  const notesPerRun = new Map<string, number>();
  const lines = new Map<string, string[]>();
  for (const [, list] of byProposal) {
    const d = list.find((e) => e.decision) ?? list[0];
    if (!d) continue;
    const last = list[list.length - 1] ?? d;
    const outcome = d.decision ?? 'unknown';
    if (outcome === 'apply' && (last.status === 'applied' || last.event === 'applied')) {
      applied++;
      if (d.kind === 'note') appliedNotes++;
      if (d.agent === 'reply_draft') replyDraft = true;
    } else if (outcome === 'review') {
      review++;
      if (d.agent === 'reply_draft') replyDraft = true;
    }
    else if (outcome === 'reject' && isUnchanged(outcome, d.reasons)) unchanged++;
    else if (outcome === 'reject') rejected++;
    else held++;
    const wasApplied = outcome === 'apply' && (last.status === 'applied' || last.event === 'applied');
    if (d.kind === 'note' && wasApplied) {
      const run = `${d.agent}:${d.runId}`;
      notesPerRun.set(run, (notesPerRun.get(run) ?? 0) + 1);
    }
    if (d.agent === 'lead_score' && d.kind === 'property' && !isBookkeeping(d.field)) {
      const unvalidated = d.reasons.some((r) => r.startsWith('model_unvalidated'));
      if (wasApplied) scores.applied++;
      if (outcome === 'review') scores.review++;
      if (unvalidated) scores.unvalidated++;
      if (unvalidated && wasApplied) scores.appliedUnvalidated++;
    }
    if (d.agent === 'enrichment' && d.kind === 'property' && !isBookkeeping(d.field)) {
      enrichment.proposed++;
      if (wasApplied) enrichment.applied++;
      if (outcome === 'review') enrichment.review++;
      if (d.reasons.some((r) => r.startsWith('model_unvalidated'))) enrichment.unvalidated++;
      // The field's value when the agent looked: enrichment fills empty fields only.
      if (wasApplied && (list.find((e) => e.previousValue != null)?.previousValue ?? '').trim() !== '') enrichment.overwrites++;
    }
    // Every run stamps when and with which model: counted in the totals, not listed one by one among the results.
    if (d.kind === 'property' && isBookkeeping(d.field) && (wasApplied || isUnchanged(outcome, d.reasons))) continue;
    const what = d.kind === 'property' ? `${d.field} = ${trim(oneLine(d.proposedValue), 40)}` : `${d.kind}: ${trim(oneLine(d.proposedValue), 50)}`;
    const block = [
      ...wrap(`[${d.agent}] ${d.objectType}:${d.objectId} ${what}`, '      ', '    '),
      ...wrap(`→ ${decisionLabel(outcome, d.reasons, last)} at confidence ${(d.confidence ?? 0).toFixed(2)}`, '        ', '      '),
      ...d.reasons.flatMap((r) => wrap(trim(r, 300), '        ', '      ')),
    ];
    const key = matchEvent(events, d);
    lines.set(key, [...(lines.get(key) ?? []), ...block]);
  }
  const failedJobs = (await (await c.queue()).listDead(100)).length;
  const sections = events.map((e) => ({ event: e, lines: lines.get(e.label) ?? [] }));
  const other = lines.get('other');
  if (other?.length) sections.push({ event: { label: 'Other', what: 'proposals from related events', objectType: '', objectId: '', accountId: '' }, lines: other });
  const notes = {
    notes: [...notesPerRun.values()].reduce((a, b) => a + b, 0),
    duplicates: [...notesPerRun.values()].reduce((a, n) => a + Math.max(0, n - 1), 0),
  };
  return { sections, applied, appliedNotes, replyDraft, review, unchanged, rejected, held, failedJobs, decided: decided.length, notes, scores, enrichment };
}

/**
 * The report's last words: where to look, each thing on its own lines within 80 columns but for the copyable curl
 * commands. Everything goes through the API the demo serves (the CLI's \`audit\` would need the demo's sandbox
 * portal, on a port of its own); after --exit nothing is served, so it says how to keep it up instead.
 */
export function whereToLook(o: { apiUrl: string; reviewerToken: string; adminToken: string; accountId: string; since: string; serving: boolean }): string[] {
  if (!o.serving) {
    return [
      'Run `npx hubspot-ai demo` without --exit to keep the service up and look',
      'around: the review page, the dashboard, the API docs and the API itself.',
    ];
  }
  const curl = (path: string) => `    curl -H 'Authorization: Bearer ${o.adminToken}' '${o.apiUrl}${path}'`;
  return [
    'Where to look next (open while the demo runs):',
    `  Review page       ${o.apiUrl}/review`,
    `                    sign in with the token ${o.reviewerToken}`,
    `  Dashboard         ${o.apiUrl}/review/dashboard`,
    `  API docs          ${o.apiUrl}/docs`,
    '  Similar accounts, context search and the audit log of this run:',
    curl(`/v1/accounts/${o.accountId}/similar?limit=5`),
    curl(`/v1/accounts/${o.accountId}/context?q=next%20steps`),
    curl(`/v1/audit?since=${encodeURIComponent(o.since)}`),
  ];
}

/** Wrapped to 80 columns: the first line after `first`, the rest after `rest`. */
function wrap(text: string, rest: string, first = ''): string[] {
  return wrapWords(text, { first, rest });
}

/** The demo's one-line status while it waits for the simulated day's jobs. */
export function settleLine(completed: number, pending: number): string {
  return `  ${completed} job${completed === 1 ? '' : 's'} done, ${pending === 0 ? 'none' : pending} waiting or running`;
}

/** The properties every run stamps (when, which model): not results worth a reader's attention once applied. */
export function isBookkeeping(field: string | null | undefined): boolean {
  return field === 'ai_last_run' || field === 'ai_model';
}

/** How the demo's report names what became of a proposal (a no-op write is "UNCHANGED", not a refusal). */
export function decisionLabel(outcome: string, reasons: readonly string[], last: Pick<AuditEntry, 'status' | 'event'>): string {
  if (isUnchanged(outcome, reasons)) return 'UNCHANGED';
  if (outcome === 'apply') return last.status === 'applied' || last.event === 'applied' ? 'APPLIED' : `apply (${last.status ?? last.event})`;
  if (outcome === 'review') return 'WAITING FOR REVIEW';
  if (outcome === 'reject') return 'REJECTED';
  return outcome.toUpperCase();
}

function matchEvent(events: SimulatedEvent[], d: AuditEntry): string {
  const agentToEvent: Record<string, string> = {
    call_summary: 'Call logged',
    reply_draft: 'Customer e-mail',
    lead_score: 'New lead',
    account_summary: 'Deal stage change',
    enrichment: 'Enrichment',
  };
  const label = d.agent ? agentToEvent[d.agent] : undefined;
  return label && events.some((e) => e.label === label) ? label : 'other';
}

function oneLine(s: string | null | undefined): string {
  return (s ?? '').replace(/\s+/g, ' ').trim();
}

/** At most `n` characters, cut between words (the audit log and the review page keep the full text). */
function trim(s: string | null | undefined, n: number): string {
  return s ? clipAtWord(s, n) : '';
}
