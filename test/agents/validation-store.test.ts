import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { VALIDATION_RECORDS } from '../../src/agents/judgment-validation.ts';
import { SqlValidationStore } from '../../src/agents/validation/validation-store.ts';
import { createSql, type SqlHandle } from '../../src/db/sql.ts';
import { tempDir } from '../support/tmp.ts';
import { uniqueName } from '../support/services.ts';

/**
 * Validation records in the SQL database (the SQLite file, and PostgreSQL when DATABASE_URL is set, as in CI):
 * seeded with the records committed with the code, superseded by a newer measurement of the same model, shared
 * by every store opened on the same database.
 */
const tmp = tempDir('hsai-validations-');
const backends: Array<[string, () => Promise<SqlHandle>]> = [['sqlite', async () => createSql({ dataDir: tmp.dir })]];
if (process.env.DATABASE_URL) backends.push(['postgres', async () => createSql({ databaseUrl: process.env.DATABASE_URL, dataDir: '', schema: uniqueName('validations') })]);

const open: SqlHandle[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});
afterAll(() => tmp.cleanup());

describe.each(backends)('model validation records (%s)', (_, make) => {
  it('holds the committed records, and a newer measurement of the same model supersedes its record for every process', async () => {
    const sql = await make();
    open.push(sql);
    const a = new SqlValidationStore(sql, VALIDATION_RECORDS);
    expect(await a.records()).toEqual(VALIDATION_RECORDS);
    const seed = VALIDATION_RECORDS[0]!;
    const newer = { ...seed, measuredAt: '2099-01-01T00:00:00.000Z', data: 'a labelled sample of this portal', fields: { 'enrichment.industry': { n: 400, right: 396 } } };
    await a.save(newer);
    expect(await a.records()).toEqual([newer]);
    // Another process (a fresh store on the same database) reads the same, and re-seeding changes nothing.
    const b = new SqlValidationStore(sql, VALIDATION_RECORDS);
    expect(await b.records()).toEqual([newer]);
    await b.save(newer);
    expect(await b.records()).toEqual([newer]);
  }, 60_000);

  it("a record measured on a portal's data serves that portal only, ahead of the deployment's", async () => {
    const sql = await make();
    open.push(sql);
    const store = new SqlValidationStore(sql, VALIDATION_RECORDS);
    const seed = VALIDATION_RECORDS[0]!;
    const own = { ...seed, measuredAt: '2020-01-01T00:00:00.000Z', data: 'portal 77 live outcomes' };
    await store.save(own, { portalId: '77' });
    // Older than the seed, still the portal's choice: it was measured on the data it will judge.
    expect(await store.records('77')).toEqual([own]);
    // Another portal, and the deployment, see the deployment's newest (the seed, or a newer one stored above).
    const deployment = await store.records();
    expect(deployment).toHaveLength(1);
    expect(deployment[0]!.data).not.toBe(own.data);
    expect(await store.records('78')).toEqual(deployment);
    expect((await store.list('77')).filter((r) => r.portalId === '77').map((r) => r.record)).toEqual([own]);
    expect((await store.list('78')).every((r) => r.portalId === '')).toBe(true);
  }, 60_000);
});
