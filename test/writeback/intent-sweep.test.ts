import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, type SqlHandle } from '../../src/db/sql.ts';
import { createWriteback, type WritebackService } from '../../src/writeback/create-writeback.ts';
import { defaultPolicy } from '../../src/writeback/policy.ts';
import { waitFor } from '../queue/queue.contract.ts';
import { tempDir } from '../support/tmp.ts';
import { marker } from '../../src/writeback/note-format.ts';
import { accountOf, firstIds, proposal, readProps, startHarness, trace, type Harness } from './harness.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHILD = path.join(root, 'test/fixtures/writeback-child.ts');

/**
 * A generation job's process is killed on the job's last attempt while HubSpot has one of its writes: no retry
 * follows, so its intents would stay intents for ever. The sweep settles them: a write that landed (the note
 * HubSpot created before the process died) is marked done; one that did not (the property batch never sent) is
 * marked failed, audited once and queued for review, and approving it writes it.
 *
 * The child talks to the sandbox through a relay that forwards every request but holds the answer to the note's
 * creation: the note is in HubSpot, the child never hears so, and is killed (SIGKILL) while it waits.
 */
describe('writes of a process killed on its job\'s last attempt', () => {
  let h: Harness;
  let relay: http.Server;
  let held: (() => void) | undefined;
  const tmp = tempDir('hsai-sweep-');
  let sql: SqlHandle;
  let writeback: WritebackService;

  /** The AI notes on a company that carry a proposal's marker. */
  async function aiNotes(id: string, proposalId: string): Promise<string[]> {
    const ids = (await h.gateway.batchAssociations('companies', 'notes', [id])).get(id) ?? [];
    if (!ids.length) return [];
    const notes = await h.gateway.batchRead('notes', ids, { properties: ['hs_note_body'] });
    return notes.filter((n) => !n.archived && (n.properties.hs_note_body ?? '').includes(marker(proposalId))).map((n) => n.id);
  }

  beforeAll(async () => {
    h = await startHarness();
    relay = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          const headers: Record<string, string> = {};
          for (const k of ['authorization', 'content-type']) if (typeof req.headers[k] === 'string') headers[k] = req.headers[k];
          const answer = await fetch(`${h.sandbox.url}${req.url}`, { method: req.method, headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
          const body = Buffer.from(await answer.arrayBuffer());
          if (req.method === 'POST' && req.url === '/crm/v3/objects/notes') {
            held = () => res.destroy(); // carried out by HubSpot; the answer never reaches the child
            return;
          }
          res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(body);
        })();
      });
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    sql = await createSql({ dataDir: tmp.dir });
    writeback = await createWriteback({ gateway: h.gateway, sql, policy: defaultPolicy(), dryRun: false, killSwitch: false });
  }, 60_000);
  afterAll(async () => {
    held?.();
    await new Promise((resolve) => relay?.close(resolve));
    await writeback?.close();
    await sql?.close();
    await h?.close();
    tmp.cleanup();
  });

  it('marks the landed write done and queues the unsent one for review; approving writes it once', async () => {
    const [company] = await firstIds(h, 'companies', 1);
    const accountId = await accountOf(h, 'companies', company!);
    const runId = 'run-killed';
    const summary = proposal({ runId, accountId, target: { objectType: 'companies', objectId: company! }, field: 'ai_summary', value: 'Summary of a killed run.' });
    const note = proposal({ runId, accountId, target: { objectType: 'companies', objectId: company! }, kind: 'note', value: 'Note of a killed run.' });

    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      cwd: root,
      env: { ...process.env, DATA_DIR: tmp.dir, HUBSPOT_BASE_URL: `http://127.0.0.1:${(relay.address() as AddressInfo).port}`, HUBSPOT_ACCESS_TOKEN: h.sandbox.token, PROPOSALS: JSON.stringify([summary, note]) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // HubSpot created the note and the child waits for the answer: both intents are recorded, nothing marked.
    await waitFor(() => held !== undefined, 120_000, 'the child to create its note');
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(await aiNotes(company!, note.id)).toHaveLength(1);

    // Not yet: an intent younger than the timeout may still belong to a job that runs again.
    expect(await writeback.sweepInterruptedWrites({ olderThanMs: 3_600_000 })).toEqual({ landed: 0, queued: 0, skipped: 0 });
    expect(await writeback.sweepInterruptedWrites({ olderThanMs: 0 })).toEqual({ landed: 1, queued: 1, skipped: 0 });

    // The note HubSpot made is ours and undoable.
    expect(await writeback.audit({ proposalId: note.id, event: 'applied' })).toEqual([expect.objectContaining({ actor: 'system:intent-sweep' })]);
    // The property was never sent: one 'failed' entry and a review.
    const failed = await writeback.audit({ proposalId: summary.id, event: 'failed' });
    expect(failed).toEqual([expect.objectContaining({ status: 'pending_review', detail: expect.stringContaining('queued for review') })]);
    const [review] = (await writeback.listReviews({ status: 'pending' })).filter((r) => r.proposal.id === summary.id);
    expect(review?.reasons.some((r) => r.startsWith('write_interrupted:'))).toBe(true);
    expect((await readProps(h, 'companies', company!, ['ai_summary'])).ai_summary ?? '').not.toBe(summary.value);

    expect((await writeback.approve(review!.id, { actor: 'rita' })).status).toBe('approved');
    expect((await readProps(h, 'companies', company!, ['ai_summary'])).ai_summary).toBe(summary.value);
    // Nothing left to settle, and a late run of the same job writes nothing twice.
    expect(await writeback.sweepInterruptedWrites({ olderThanMs: 0 })).toEqual({ landed: 0, queued: 0, skipped: 0 });
    expect((await writeback.submit([summary, note], trace(runId))).map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
    expect(await aiNotes(company!, note.id)).toHaveLength(1);
  }, 180_000);
});
