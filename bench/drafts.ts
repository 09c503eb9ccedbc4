/**
 * `npm run bench:drafts [-- --companies 1000 --reps 3]`: the CPU a backfill spends per record on building chunks
 * (normalisation, e-mail de-quoting, chunking, the profile digest), the work the backfill's pool threads do between
 * HubSpot's answers and the embedder.
 *
 * Reads the whole sandbox portal once (seed 7, in-process, no rate limit; the reading is not measured), then per
 * repetition, in this one process:
 *   - de-quoting every e-mail with email-reply-parser itself (the baseline) and with ours (reply-text.ts), on the
 *     same texts: CPU of each, the ratio, and whether every text is identical;
 *   - building every account's chunk drafts and profile digest as the pool threads do: CPU-s per 1,000 records.
 * Goal: the de-quoted texts identical to the library's in every repetition, and less CPU than it.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { AccountHistory } from '../src/core/objects.ts';
import { createHubSpotGateway } from '../src/hubspot/create-gateway.ts';
import { PortalScan } from '../src/hubspot/portal-scan.ts';
import { DraftMemo, draftsOfHistory } from '../src/ingest/draft-memo.ts';
import { digestHistory } from '../src/retrieval/account-profile.ts';
import { startSandbox } from '../src/sandbox/index.ts';
import { htmlToText } from '../src/text/normalize/html.ts';
import { libraryVisibleText, replyRulesReady, visibleReplyText } from '../src/text/normalize/reply-text.ts';
import { collapseWhitespace } from '../src/text/normalize/whitespace.ts';
import { repsOption, spread, verdict } from './lib/reps.ts';

const { values: args } = parseArgs({ options: { companies: { type: 'string', default: '1000' }, reps: { type: 'string' } } });
const companies = Number(args.companies);
const reps = repsOption(3);
const say = (line: string) => process.stderr.write(`${line}\n`);

function cpuSeconds<T>(fn: () => T): [T, number] {
  const c = process.cpuUsage();
  const r = fn();
  const d = process.cpuUsage(c);
  return [r, (d.user + d.system) / 1e6];
}

say(`reading the sandbox portal: seed 7, ${companies} companies ...`);
const sandbox = await startSandbox({ port: 0, seed: 7, companies, rateLimit: 0, faultRate: 0, latencyMs: 0 });
const gateway = createHubSpotGateway({ baseUrl: sandbox.url, accessToken: sandbox.token, rateLimitPer10s: 100_000, searchPerSecond: 50, timeoutMs: 60_000, maxRetries: 2 });
const histories: AccountHistory[] = [];
try {
  const scan = await PortalScan.read(gateway, {});
  for (let i = 0; i < scan.accountIds.length; i += 100) histories.push(...(await scan.accountHistories(scan.accountIds.slice(i, i + 100))));
} finally {
  await gateway.close();
  await sandbox.close();
}
await replyRulesReady();

const records = histories.reduce((n, h) => n + (h.company ? 1 : 0) + h.contacts.length + h.deals.length + h.tickets.length + h.engagements.length, 0);
// The texts the de-quoter sees: each e-mail's HTML as text (or its plain part), as normalizeEmail hands them on.
const emailTexts = histories.flatMap((h) =>
  h.engagements
    .filter((e) => e.type === 'emails')
    .map(({ object: { properties: p } }) => (p.hs_email_html && p.hs_email_html.trim() !== '' ? htmlToText(p.hs_email_html) : collapseWhitespace(p.hs_email_text ?? ''))),
);

const rows: Array<{ library: number; ours: number; identical: number; drafts: number; chunks: number }> = [];
for (let r = 0; r < reps; r += 1) {
  say(`repetition ${r + 1} of ${reps}: ${emailTexts.length} e-mails, ${histories.length} accounts ...`);
  const [expected, library] = cpuSeconds(() => emailTexts.map(libraryVisibleText));
  const [actual, ours] = cpuSeconds(() => emailTexts.map(visibleReplyText));
  const identical = actual.filter((t, i) => t === expected[i]).length;
  // A fresh memo per repetition: a backfill sees each document once.
  const memo = new DraftMemo();
  const [chunks, drafts] = cpuSeconds(() =>
    histories.reduce((n, h) => {
      const d = draftsOfHistory(h, memo);
      digestHistory(h, d);
      return n + d.length;
    }, 0),
  );
  rows.push({ library, ours, identical, drafts, chunks });
}

const allIdentical = rows.every((x) => x.identical === emailTexts.length);
const faster = rows.every((x) => x.ours < x.library);
const f2 = (x: number) => x.toFixed(2);
process.stdout.write(
  [
    `chunk-building CPU: sandbox seed 7, ${companies} companies (${histories.length} accounts, ${records.toLocaleString('en')} records, ${emailTexts.length.toLocaleString('en')} e-mails), ${reps} repetitions`,
    ``,
    `de-quoting   library ${spread(rows.map((x) => x.library), f2)} CPU-s, ours ${spread(rows.map((x) => x.ours), f2)} CPU-s: ${spread(rows.map((x) => x.library / x.ours), (x) => `${x.toFixed(1)}×`)} less CPU`,
    `identical    ${rows.map((x) => `${x.identical}/${emailTexts.length}`).join(', ')} texts equal to the library's`,
    `drafts       ${spread(rows.map((x) => (x.drafts / records) * 1000), (x) => x.toFixed(3))} CPU-s per 1,000 records (${spread(rows.map((x) => x.drafts), f2)} CPU-s for ${rows[0]!.chunks.toLocaleString('en')} chunks and ${histories.length} profile digests)`,
    `goal         identical texts and less CPU than the library in every repetition: ${verdict(allIdentical && faster)}`,
    `load         ${os.loadavg().map((x) => x.toFixed(1)).join(', ')} (1/5/15-minute load average, ${os.availableParallelism()} cores shared; CPU-s are this process's own)`,
    ``,
  ].join('\n'),
);
process.exitCode = allIdentical && faster ? 0 : 1;
