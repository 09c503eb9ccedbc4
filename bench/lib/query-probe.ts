import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { PerformanceObserver, performance } from 'node:perf_hooks';

/**
 * What one timed query cost, beyond its wall time, so a slow tail can be explained: the process's CPU time (what
 * other load on shared cores does not add), the times the kernel took the core away from it (involuntary context
 * switches), page faults (first touch of memory-mapped file pages), and the garbage-collection pauses that
 * overlapped it.
 */
export interface QuerySample {
  wallMs: number;
  cpuMs: number;
  preempted: number;
  /** Voluntary context switches: the thread blocked (I/O, a lock). */
  blocked: number;
  faults: number;
  gcMs: number;
}

interface Open {
  start: number;
  usage: NodeJS.ResourceUsage;
}

/** Records GC pauses for the whole run (observed from the start, attributed to queries by time). */
export class QueryProbe {
  private readonly gcs: Array<{ start: number; end: number }> = [];
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) this.gcs.push({ start: e.startTime, end: e.startTime + e.duration });
  });
  private pending: Array<{ sample: QuerySample; start: number; end: number }> = [];

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  begin(): Open {
    const usage = process.resourceUsage();
    return { start: performance.now(), usage };
  }

  end(open: Open): QuerySample {
    const end = performance.now();
    const u = process.resourceUsage();
    const sample: QuerySample = {
      wallMs: end - open.start,
      cpuMs: (u.userCPUTime + u.systemCPUTime - open.usage.userCPUTime - open.usage.systemCPUTime) / 1000,
      preempted: u.involuntaryContextSwitches - open.usage.involuntaryContextSwitches,
      blocked: u.voluntaryContextSwitches - open.usage.voluntaryContextSwitches,
      faults: u.minorPageFault + u.majorPageFault - open.usage.minorPageFault - open.usage.majorPageFault,
      gcMs: 0,
    };
    this.pending.push({ sample, start: open.start, end });
    return sample;
  }

  /**
   * GC entries reach the observer on a later turn of the event loop (a loop of awaited synchronous queries never
   * yields one): call after each timed loop to fill in `gcMs` of its samples.
   */
  async settle(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    for (const p of this.pending) {
      for (const g of this.gcs) p.sample.gcMs += Math.max(0, Math.min(p.end, g.end) - Math.max(p.start, g.start));
    }
    this.pending = [];
  }

  /** Every GC pause seen so far: count and total ms. */
  gcTotals(): { count: number; ms: number; maxMs: number } {
    const d = this.gcs.map((g) => g.end - g.start);
    return { count: d.length, ms: d.reduce((a, b) => a + b, 0), maxMs: Math.max(0, ...d) };
  }

  close(): void {
    this.observer.disconnect();
  }
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

/**
 * Where the slowest `share` of the samples (by wall time) went: their mean wall and CPU, how many were preempted or
 * blocked, page faults, GC overlap. Wall far above CPU with preemptions means the query waited for a core; with
 * neither, the whole machine's (virtual) CPU was taken away.
 */
export function slowTail(samples: QuerySample[], share = 0.05): string {
  const n = Math.max(1, Math.round(samples.length * share));
  const slow = [...samples].sort((a, b) => b.wallMs - a.wallMs).slice(0, n);
  const mean = (f: (s: QuerySample) => number) => slow.reduce((a, s) => a + f(s), 0) / slow.length;
  const preempted = slow.filter((s) => s.preempted > 0).length;
  const blocked = slow.filter((s) => s.blocked > 0).length;
  const withGc = slow.filter((s) => s.gcMs > 0).length;
  return (
    `slowest ${n}: wall ${mean((s) => s.wallMs).toFixed(2)} ms, CPU ${mean((s) => s.cpuMs).toFixed(2)} ms on average; ` +
    `${preempted} of ${n} preempted, ${blocked} blocked, ${mean((s) => s.faults).toFixed(0)} page faults, ` +
    `GC in ${withGc} (${mean((s) => s.gcMs).toFixed(2)} ms)`
  );
}

/** RSS split into anonymous memory (heap, SQLite's cache) and mapped file pages (the OS page cache), in MiB. */
export function rssParts(): { rss: number; anon?: number; file?: number } {
  const rss = process.memoryUsage().rss / 2 ** 20;
  try {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) / 1024;
    return { rss, anon: kb('RssAnon'), file: kb('RssFile') };
  } catch {
    return { rss };
  }
}

/** `uptime`'s line (load averages on shared cores), or the load averages where there is no such command. */
export function uptimeLine(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average: ${os.loadavg().map((x) => x.toFixed(2)).join(', ')}`;
  }
}
