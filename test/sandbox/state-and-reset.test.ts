import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/tmp.ts';
import { post, sandboxWithClient } from './helpers.ts';

describe('sandbox state file and reset', () => {
  it('restores writes from --state after a restart, and reset restores the seeded portal', async () => {
    const tmp = tempDir('sandbox-state-');
    const stateFile = path.join(tmp.dir, 'portal.json');
    try {
      const first = await sandboxWithClient({ companies: 10, stateFile });
      const created = await first.client.crm.contacts.basicApi.create({ properties: { email: 'kept@test.example' }, associations: [] });
      const withCreated = first.sb.groundTruth().counts.contacts;
      await first.sb.close();

      const second = await sandboxWithClient({ companies: 10, stateFile });
      try {
        expect((await second.client.crm.contacts.basicApi.getById(created.id, ['email'])).properties.email).toBe('kept@test.example');
        expect(second.sb.groundTruth().counts.contacts).toBe(withCreated);
        const reset = await post(`${second.sb.url}/_sandbox/reset`, {});
        expect(reset.status).toBe(200);
        expect(second.sb.groundTruth().counts.contacts).toBe(withCreated - 1);
        await expect(second.client.crm.contacts.basicApi.getById(created.id)).rejects.toMatchObject({ code: 404 });
      } finally {
        await second.sb.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});
