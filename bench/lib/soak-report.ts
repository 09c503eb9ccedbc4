/** The soak's numbers, printed for an 80-column terminal. */

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface SoakReport {
  minutes: number;
  rate: number;
  sentDeliveries: number;
  failedAttempts: number;
  acked: number;
  unacked: number;
  processed: number;
  lost: number;
  duplicateNotes: number;
  aiNotes: number;
  deadJobs: number;
  leftInQueue: number;
  drainMs: number;
  ackP50: number;
  ackP99: number;
  ackMax: number;
  eventToWriteP50: number;
  eventToWriteP95: number;
  writes: number;
  calls: number;
  simulations: number;
  backfillMs: number | undefined;
  backfillRuns: number;
  hubspotCalls: number;
  hubspot429: number;
  rss: { serve: number; worker: number; sandbox: number; redis: number };
  workers: number;
  restarts: { serve: number; worker: number };
  /** 1-minute load average of the machine sampled every second during the load: min, mean, max. */
  load: { min: number; mean: number; max: number };
  cpus: number;
}

const n = (x: number) => x.toLocaleString('en');
const ms = (x: number) => (Number.isNaN(x) ? 'n/a' : `${x.toFixed(0)} ms`);
const s = (x: number) => (Number.isNaN(x) ? 'n/a' : `${(x / 1000).toFixed(1)} s`);
const mib = (x: number) => `${(x / 1024 / 1024).toFixed(0)} MiB`;

export function printReport(r: SoakReport): void {
  const rows: Array<[string, string, string]> = [
    ['events acknowledged', n(r.acked), `${n(r.sentDeliveries)} deliveries, ${n(r.failedAttempts)} retried`],
    ['events processed', n(r.processed), 'dedupe claim found in Redis'],
    ['events lost', n(r.lost), r.lost === 0 ? 'ok (must be 0)' : 'FAIL (must be 0)'],
    ['events never acknowledged', n(r.unacked), 'gave up after 10 attempts'],
    ['duplicate AI notes', n(r.duplicateNotes), `${n(r.aiNotes)} AI notes; ${r.duplicateNotes === 0 ? 'ok' : 'FAIL'}`],
    ['dead-lettered jobs', n(r.deadJobs), r.deadJobs === 0 ? 'ok' : 'FAIL'],
    ['jobs left after the drain', n(r.leftInQueue), r.leftInQueue === 0 ? `drained ${s(r.drainMs)} after the load` : 'FAIL: not drained within 15 min'],
    ['acknowledgement p50 / p99', `${ms(r.ackP50)} / ${ms(r.ackP99)}`, `max ${ms(r.ackMax)}`],
    ['event-to-write p50 / p95', `${s(r.eventToWriteP50)} / ${s(r.eventToWriteP95)}`, `${n(r.writes)} of ${n(r.calls)} calls summarised`],
    ['simulated activities', n(r.simulations), 'calls, e-mails, leads, stages'],
    ['backfill in parallel', r.backfillMs === undefined ? 'FAIL' : s(r.backfillMs), r.backfillRuns === 1 ? 'one run' : `${n(r.backfillRuns)} runs, each resuming from the checkpoint`],
    ['HubSpot calls (429s)', `${n(r.hubspotCalls)} (${n(r.hubspot429)})`, 'faults injected'],
    ['process restarts serve / worker', `${n(r.restarts.serve)} / ${n(r.restarts.worker)}`, 'restart policy (2 worker kills are the chaos)'],
    ['peak RSS serve / worker', `${mib(r.rss.serve)} / ${mib(r.rss.worker)}`, `${r.workers} worker processes`],
    ['peak RSS sandbox / redis', `${mib(r.rss.sandbox)} / ${mib(r.rss.redis)}`, ''],
    ['machine load average (1 min)', `${r.load.mean.toFixed(1)}`, `min ${r.load.min.toFixed(1)}, max ${r.load.max.toFixed(1)} on ${r.cpus} CPUs, other work included`],
  ];
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  process.stdout.write(`\nSoak: ${r.minutes} min at ${n(r.rate)} events/s, worker killed twice, Redis restarted once\n\n`);
  for (const [a, b, c] of rows) process.stdout.write(`  ${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}\n`.replace(/\s+\n$/, '\n'));
  process.stdout.write('\n');
}
