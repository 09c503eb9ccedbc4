import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { SAFETY_NET_PAGES } from '../../src/db/checkpointer.ts';
import { SqliteFiles, sqlitePath } from '../../src/db/sqlite.ts';
import { tempDir } from '../support/tmp.ts';
import { waitFor } from '../queue/queue.contract.ts';

const tmp = tempDir('hsai-ckpt-');
afterAll(() => tmp.cleanup());

const FRAME = 4096 + 24; // one WAL frame: a 4 KB page and its header

/**
 * Whether every frame in the write-ahead log has been copied into the database file, read from the WAL index
 * (the -shm file, native byte order): `mxFrame` of its header (offset 16) against `nBackfill` of its checkpoint
 * record (offset 96). Reading it checkpoints nothing.
 */
function checkpointed(file: string): boolean {
  const shm = fs.readFileSync(`${file}-shm`);
  const mxFrame = shm.readUInt32LE(16);
  return mxFrame > 0 && shm.readUInt32LE(96) === mxFrame;
}

describe('background WAL checkpoints', () => {
  it('keeps the write-ahead log small without checkpointing inside commits, and lets go of the file on release', async () => {
    const errors: string[] = [];
    const files = new SqliteFiles({ intervalMs: 50, onError: (m) => errors.push(m) });
    const file = sqlitePath(tmp.dir);
    const db = files.open(file);
    expect(files.checkpointer.running).toBe(true);
    // Commits alone would only checkpoint at the far-off safety net.
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(SAFETY_NET_PAGES);
    db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB)');
    const insert = db.prepare('INSERT INTO blobs (body) VALUES (?)');
    const page = Buffer.alloc(3000, 7);
    const rounds = 16;
    const rowsPerRound = 250; // ~250 pages a round, ~4,000 in all: four times SQLite's default auto-checkpoint
    for (let r = 0; r < rounds; r++) {
      db.transaction(() => {
        for (let i = 0; i < rowsPerRound; i++) insert.run(page);
      })();
      // The background thread (nothing else here checkpoints: the safety net is far off) copies the round's
      // frames into the database file; the next commit then restarts the log instead of growing it.
      await waitFor(() => checkpointed(file), 60_000, `the background checkpoint of round ${r + 1}`);
    }
    const walPages = fs.statSync(`${file}-wal`).size / FRAME;
    // Each round's pages were checkpointed before the next round, so the log restarted instead of growing.
    expect(walPages).toBeLessThan(rowsPerRound * 3);
    expect((db.prepare('SELECT COUNT(*) AS n FROM blobs').get() as { n: number }).n).toBe(rounds * rowsPerRound);
    files.release(db);
    // The registry's last file released: its thread is gone.
    expect(files.checkpointer.running).toBe(false);
    expect(files.openFiles).toEqual([]);
    // The last connection closed (ours, after the background one) checkpoints and removes the log.
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    expect(errors).toEqual([]);
    await files.close();
  });
});
