import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { auditRoutes } from '../../src/api/routes/audit.ts';
import { reviewRoutes } from '../../src/api/routes/reviews.ts';
import { reviewPage } from '../../src/api/review-page/plugin.ts';
import { firstIds, proposal, readProps, startHarness, trace, type Harness } from './harness.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * The review page end to end in headless Chromium: the app listens on a real port, the page loads, lists the
 * queue from the API with the token it took from the URL, and a reviewer approves, edits and rejects. The
 * screenshot is kept as a CI artifact (test-artifacts/review-page.png).
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CI = process.env.CI === 'true' || process.env.CI === '1';
const available = fs.existsSync(CHROMIUM);
if (!available && CI) throw new Error(`Chromium not found at ${CHROMIUM} but CI=true: install Debian's chromium (apt-get install -y chromium)`);
if (!available) console.warn(`[skipped] review page browser test: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);

const REVIEWER = 'browser-reviewer-token';
const ARTIFACT = path.resolve('test-artifacts/review-page.png');

(available ? describe : describe.skip)('review page in headless Chromium', () => {
  let h: Harness;
  let app: FastifyInstance;
  let browser: BrowserContext;
  let page: Page;
  let base: string;
  let profile: ReturnType<typeof tempDir>;
  const ids: Record<string, string> = {};
  let contacts: string[];
  let company: string;

  beforeAll(async () => {
    // The vector store's chunk lookup is another module's port; here a fixed table stands in for it.
    const chunkText: Record<string, string> = {
      'chunk-1': 'Call 2026-03-02, Dana (buyer): "We signed the order form this morning."',
      'chunk-2': 'E-mail from Dana: "Please send the invoice to accounts payable."',
    };
    h = await startHarness({
      writeback: { resolveEvidence: async (chunkIds) => chunkIds.filter((id) => chunkText[id]).map((id) => ({ id, text: chunkText[id]!, sourceType: 'call' })) },
    });
    app = await buildApp({
      tokens: [{ token: REVIEWER, role: 'reviewer', name: 'rachel' }],
      routes: [
        { name: 'reviews', plugin: reviewRoutes, opts: { writeback: h.writeback } },
        { name: 'audit', plugin: auditRoutes, opts: { writeback: h.writeback } },
        { name: 'review-page', plugin: reviewPage },
      ],
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });

    contacts = await firstIds(h, 'contacts', 3);
    [company] = await firstIds(h, 'companies', 1) as [string];
    const stage = async (id: string) => (await readProps(h, 'contacts', id, ['lifecyclestage'])).lifecyclestage ?? null;
    const other = (v: string | null) => (v === 'customer' ? 'evangelist' : 'customer');
    const s0 = await stage(contacts[0]!);
    const s1 = await stage(contacts[1]!);
    const results = await h.writeback.submit(
      [
        proposal({ runId: 'run-ui', agent: 'lead_score', target: { objectType: 'contacts', objectId: contacts[0]! }, field: 'lifecyclestage', value: other(s0), observedValue: s0, rationale: 'Signed the order form on the last call.' }),
        proposal({ runId: 'run-ui', agent: 'lead_score', target: { objectType: 'contacts', objectId: contacts[1]! }, field: 'lifecyclestage', value: other(s1), observedValue: s1 }),
        proposal({ runId: 'run-ui', agent: 'call_summary', target: { objectType: 'companies', objectId: company }, field: 'ai_summary', value: '<img src=x onerror="document.body.dataset.pwned=1"> Renewal at risk.', confidence: 0.3 }),
      ],
      trace('run-ui'),
    );
    expect(results.map((r) => r.status)).toEqual(['pending_review', 'pending_review', 'pending_review']);
    ids.approve = results[0]!.detail!;
    ids.reject = results[1]!.detail!;
    ids.edit = results[2]!.detail!;

    profile = tempDir('hsai-chromium-');
    // A fresh, empty profile per run (Playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile.dir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 1100 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await h?.close();
    profile?.cleanup();
  });

  const card = (id: string) => page.locator(`li.review[data-id="${id}"]`);

  it('shows the pending queue side by side, with reasons and evidence, and keeps the token out of the URL', async () => {
    await page.goto(`${base}/review?token=${REVIEWER}`);
    await card(ids.approve!).waitFor();
    expect(page.url()).toBe(`${base}/review`);
    expect(await page.evaluate('sessionStorage.getItem("hsai.reviewToken")')).toBe(REVIEWER);
    await expect(page.locator('li.review').count()).resolves.toBe(3);

    const first = card(ids.approve!);
    expect(await first.locator('.target').textContent()).toBe(`contacts / ${contacts[0]}`);
    expect(await first.locator('.reasons').textContent()).toContain('protected_field');
    expect(await first.locator('.rationale').textContent()).toContain('Signed the order form');
    expect(await first.locator('.chunks li').count()).toBe(2);
    expect(await first.locator('.chunks').textContent()).toContain('We signed the order form this morning.');
    // Hostile text is shown, never run.
    expect(await card(ids.edit!).locator('.proposed .text').textContent()).toContain('<img src=x');
    expect(await page.evaluate('document.body.dataset.pwned')).toBeUndefined();

    fs.mkdirSync(path.dirname(ARTIFACT), { recursive: true });
    await page.screenshot({ path: ARTIFACT, fullPage: true });
    expect(fs.statSync(ARTIFACT).size).toBeGreaterThan(10_000);
  });

  it('filters by agent and object type', async () => {
    await page.selectOption('select[name="agent"]', 'call_summary');
    await page.click('#filters button[type="submit"]');
    await page.locator('#status', { hasText: '1 review' }).waitFor();
    await expect(page.locator('li.review').count()).resolves.toBe(1);
    await page.selectOption('select[name="agent"]', '');
    await page.selectOption('select[name="objectType"]', 'contacts');
    await page.click('#filters button[type="submit"]');
    await page.locator('#status', { hasText: '2 reviews' }).waitFor();
    await page.selectOption('select[name="objectType"]', '');
    await page.click('#filters button[type="submit"]');
    await page.locator('#status', { hasText: '3 reviews' }).waitFor();
  });

  it('approve writes to HubSpot; edit-and-approve writes the edit; reject writes nothing', async () => {
    const target = await card(ids.approve!).locator('.proposed .text').textContent();
    await card(ids.approve!).locator('button.approve').click();
    await card(ids.approve!).locator('.result', { hasText: 'Approved' }).waitFor();
    expect((await readProps(h, 'contacts', contacts[0]!, ['lifecyclestage'])).lifecyclestage).toBe(target);

    const edit = card(ids.edit!);
    await edit.locator('button.edit-approve').click();
    await edit.locator('textarea.edit').fill('Renewal at risk: champion left in May.');
    await edit.locator('button.edit-approve').click();
    await edit.locator('.result', { hasText: 'Approved with your edit' }).waitFor();
    expect((await readProps(h, 'companies', company, ['ai_summary'])).ai_summary).toBe('Renewal at risk: champion left in May.');

    const before = await readProps(h, 'contacts', contacts[1]!, ['lifecyclestage']);
    const rej = card(ids.reject!);
    await rej.locator('button.reject').click();
    await rej.locator('.result', { hasText: 'Say why' }).waitFor();
    await rej.locator('input.reject-reason').fill('Not a customer yet');
    await rej.locator('button.reject').click();
    await rej.locator('.result', { hasText: 'Rejected' }).waitFor();
    expect(await readProps(h, 'contacts', contacts[1]!, ['lifecyclestage'])).toEqual(before);

    const audit = await h.writeback.audit({ runId: 'run-ui', limit: 100 });
    expect(audit.filter((e) => e.event === 'review_approved').map((e) => e.actor)).toEqual(['rachel', 'rachel']);
    expect(audit.find((e) => e.event === 'review_rejected')?.reasons).toContain('reason: Not a customer yet');
    await page.screenshot({ path: ARTIFACT.replace(/\.png$/, '-after.png'), fullPage: true });
  });
});
