import { jobsStats, listDeadJobs, retryDeadJobs } from '../queue/job-admin.ts';
import { withContainer } from './context.ts';
import { CliExit, EXIT } from './exit-codes.ts';
import { printJson, printTable } from './output.ts';

export async function jobsStatsCommand(opts: { json?: boolean }): Promise<void> {
  await withContainer(async (c) => {
    const stats = await jobsStats(await c.queue());
    if (opts.json) printJson(stats);
    else printTable(Object.entries(stats.byType).map(([type, s]) => ({ type, ...s })).concat([{ type: 'total', ...stats.total }]));
  });
}

export async function jobsDeadCommand(opts: { json?: boolean; limit: number }): Promise<void> {
  await withContainer(async (c) => {
    const dead = await listDeadJobs(await c.queue(), opts.limit);
    if (opts.json) printJson(dead);
    else printTable(dead.map((d) => ({ id: d.id, type: d.type, attempts: d.attempts, failedAt: d.failedAt, error: d.error.slice(0, 80) })));
  });
}

export async function jobsRetryCommand(ids: string[], opts: { all?: boolean }): Promise<void> {
  if (!opts.all && ids.length === 0) throw new CliExit(EXIT.USAGE, 'give dead job ids or --all');
  if (opts.all && ids.length > 0) throw new CliExit(EXIT.USAGE, 'give either ids or --all, not both');
  await withContainer(async (c) => {
    const { retried } = await retryDeadJobs(await c.queue(), opts.all ? 'all' : ids);
    process.stdout.write(`re-queued ${retried} job${retried === 1 ? '' : 's'}\n`);
  });
}
