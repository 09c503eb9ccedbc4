import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { silentLogger } from '../../src/logging.ts';
import { createContainer, type Container } from '../../src/runtime/container.ts';
import { trainScorer, type TrainingExample } from '../../src/agents/scorer/train.ts';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.ts';
import { createSql } from '../../src/db/sql.ts';
import { databaseUrl, uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * The lead scorer lives in the database: a scorer trained and saved by one container (the `serve` or app process)
 * is the one another container on the same database (a worker, another host in docker-compose) scores with,
 * loaded the one way every process loads it (the portal scope's `scorer()`), with no file under DATA_DIR.
 */
function examples(n: number): TrainingExample[] {
  let s = 7;
  const r = () => ((s = (s * 1103515245 + 12345) % 2147483648), s / 2147483648);
  return Array.from({ length: n }, (_, i) => {
    const o = {
      industry: ['A', 'B', 'C'][i % 3]!, sizeBand: 'smb' as const, seniorBuyer: r() < 0.5 ? 1 : 0, meetings: Math.floor(r() * 5),
      inboundEmails: Math.floor(r() * 6), outboundEmails: Math.floor(r() * 6), calls: Math.floor(r() * 3), notes: 0, staleMonths: r() * 3, competitorMentioned: 0,
    };
    const p = 1 / (1 + Math.exp(-(-1 + 1.2 * o.seniorBuyer + 0.45 * o.meetings - 0.5 * o.staleMonths)));
    return { observation: o, won: r() < p, groupId: `acct-${i}` };
  });
}

let sb: SandboxHandle;
const tmp = tempDir('hsai-shared-scorer-');
beforeAll(async () => {
  sb = await startSandbox({ port: 0, companies: 3 });
});
afterAll(async () => {
  await sb?.close();
  tmp.cleanup();
});

const backends: Array<[string, () => Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }>]> = [
  ['SQLite file', async () => ({ env: { DATA_DIR: path.join(tmp.dir, uniqueName('db')) }, cleanup: async () => undefined })],
];
if (databaseUrl()) {
  backends.push([
    'PostgreSQL',
    async () => {
      const schema = uniqueName('shared_scorer');
      const url = new URL(databaseUrl()!);
      url.searchParams.set('options', `-c search_path=${schema}`);
      const admin = await createSql({ databaseUrl: databaseUrl()!, dataDir: tmp.dir, schema });
      await admin.close();
      return {
        env: { DATABASE_URL: url.toString() },
        cleanup: async () => {
          const h = await createSql({ databaseUrl: databaseUrl()!, dataDir: tmp.dir });
          await h.db.schema.dropSchema(schema).ifExists().cascade().execute();
          await h.close();
        },
      };
    },
  ]);
}

describe.each(backends)('the lead scorer in the database (%s)', (_name, database) => {
  it('is trained and saved by one container and used by another on the same database', async () => {
    const db = await database();
    const make = (dir: string): Container =>
      createContainer(
        loadConfig({ DATA_DIR: path.join(tmp.dir, uniqueName(dir)), ...db.env, HUBSPOT_BASE_URL: sb.url, HUBSPOT_ACCESS_TOKEN: sb.token, REDIS_URL: '', QDRANT_URL: '' }),
        silentLogger,
      );
    // PostgreSQL: separate data directories, so nothing reaches the worker but the database; SQLite: the one file.
    const app = make('app');
    const worker = make('worker');
    try {
      const portal = await app.portalId();
      expect(await (await worker.portal(portal)).scorer()).toBeNull();
      const { model } = trainScorer(examples(300), { folds: 3, numSteps: 300 });
      const id = await (await app.scorers()).save(portal, model);
      // A fresh worker scope (a worker process starting after the training) loads it the one way.
      const fresh = make('worker2');
      try {
        const loaded = await (await fresh.portal(portal)).scorer();
        expect(loaded?.weights).toEqual(model.weights);
        expect(loaded?.validation).toEqual(model.validation);
      } finally {
        await fresh.close();
      }
      // The record holds the artefact and its validation, queryable as a model record.
      const record = await (await worker.modelRecords()).latest('lead_scorer', portal);
      expect(record?.id).toBe(id);
      expect(record?.figures.auc).toBeCloseTo(model.validation?.auc ?? model.evaluation.auc, 10);
      expect(record?.validation).toEqual(model.validation ?? null);
    } finally {
      await app.close();
      await worker.close();
      await db.cleanup();
    }
  });
});
