import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScorer, SCORER_FILE } from '../../src/agents/scorer/model.ts';
import { trainScorerCommand } from '../../src/agents/scorer/train-command.ts';
import { collectTrainingExamples } from '../../src/agents/scorer/training-data.ts';
import { createHubSpotGateway } from '../../src/hubspot/create-gateway.ts';
import type { HubSpotGateway } from '../../src/hubspot/gateway.ts';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.ts';
import { tempDir } from '../support/tmp.ts';

/** `hubspot-ai train-scorer` against the sandbox portal: closed deals read through the gateway, model saved. */

let sandbox: SandboxHandle;
let gateway: HubSpotGateway;
const tmp = tempDir('hsai-train-');

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, seed: 7, companies: 60, rateLimit: 0 });
  gateway = createHubSpotGateway({ baseUrl: sandbox.url, accessToken: sandbox.token, rateLimitPer10s: 10_000, searchPerSecond: 50, timeoutMs: 10_000, maxRetries: 2 });
});

afterAll(async () => {
  await gateway?.close();
  await sandbox?.close();
  tmp.cleanup();
});

describe('train-scorer', () => {
  it('labels exactly the portal\'s closed deals, with features read from their accounts', async () => {
    const truth = sandbox.groundTruth();
    const examples = await collectTrainingExamples(gateway);
    const closed = truth.deals.filter((d) => d.outcome !== 'open');
    expect(examples.map((e) => e.dealId).sort()).toEqual(closed.map((d) => d.id).sort());
    const byId = new Map(closed.map((d) => [d.id, d]));
    let seniorAgrees = 0;
    for (const e of examples) {
      const d = byId.get(e.dealId)!;
      expect(e.won).toBe(d.outcome === 'won');
      // Observable features agree with the generator's hidden ones. "Champion" can differ: the generator puts
      // its fallback contact on the deal without counting its title (a contact-only account's only contact).
      if (e.observation.seniorBuyer === d.features.champion) seniorAgrees++;
      expect(e.observation.meetings).toBe(d.features.meetings);
      expect(e.observation.inboundEmails).toBe(d.features.inboundEmails);
      expect(e.observation.competitorMentioned).toBe(d.features.competitor);
    }
    expect(seniorAgrees / examples.length).toBeGreaterThan(0.95);
  });

  it('fits, prints held-out AUC and ECE, and saves DATA_DIR/scorer.json', async () => {
    const lines: string[] = [];
    const { model, file } = await trainScorerCommand({ gateway, dataDir: tmp.dir, print: (l) => lines.push(l) });
    expect(file).toBe(path.join(tmp.dir, SCORER_FILE));
    expect(fs.existsSync(file)).toBe(true);
    expect(lines.join('\n')).toMatch(/Held-out \(5-fold, grouped by account\): AUC 0\.\d{3}\s+ECE 0\.\d{3}/);
    // Quality is measured on 300 companies by `npm run eval`; 60 companies only exercise the command.
    expect(model.evaluation.n).toBe(model.trainingSize);
    expect(model.evaluation.auc).toBeGreaterThanOrEqual(0);
    expect(loadScorer(tmp.dir)?.weights).toEqual(model.weights);
  });
});
