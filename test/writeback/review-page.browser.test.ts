import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { auditRoutes } from '../../src/api/routes/audit.ts';
import { dashboardRoutes } from '../../src/api/routes/dashboard.ts';
import { reviewRoutes } from '../../src/api/routes/reviews.ts';
import { reviewPage } from '../../src/api/review-page/plugin.ts';
import { firstIds, proposal, readProps, startHarness, trace, type Harness, accountOf } from './harness.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * The review page as a rep uses it, in headless Chromium, served over plain HTTP under a host name that is not
 * localhost (Chromium maps `review.example.test` to 127.0.0.1): sign in once with the token (it becomes an
 * HttpOnly cookie), see names, owners and HubSpot links, the change as a diff, reasons in words, the supporting
 * sentence highlighted, the score's drivers; search; bulk-approve; reject; history and undo; keyboard. The access
 * log is captured and must never contain the token. Screenshots are kept in test-artifacts/ (gitignored).
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CI = process.env.CI === 'true' || process.env.CI === '1';
const available = fs.existsSync(CHROMIUM);
if (!available && CI) throw new Error(`Chromium not found at ${CHROMIUM} but CI=true: install Debian's chromium (apt-get install -y chromium)`);
if (!available) console.warn(`[skipped] review page browser test: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);

const REVIEWER = 'browser-reviewer-token-7f3a';
const HOST = 'review.example.test';
const ARTIFACTS = path.resolve('test-artifacts');

(available ? describe : describe.skip)('review page in headless Chromium', () => {
  let h: Harness;
  let app: FastifyInstance;
  let browser: BrowserContext;
  let page: Page;
  let base: string;
  let profile: ReturnType<typeof tempDir>;
  const accessLog: string[] = [];
  const ids: Record<string, string> = {};
  let contacts: string[];
  let company: string;
  let names: Record<string, string>;

  beforeAll(async () => {
    // The vector store's chunk lookup is another module's port; a fixed table of realistic chunks stands in.
    const chunkText: Record<string, { text: string; sourceType: string; occurredAt: string }> = {
      'chunk-1': {
        text: '[00:00:04] Dana Reyes (Buyer): Thanks for joining. We reviewed the proposal with finance last week.\n[00:00:19] Dana Reyes (Buyer): We signed the order form this morning and sent it to procurement.\n[00:00:41] Sam Lee (AE): Great, I will send the onboarding plan by Friday.',
        sourceType: 'call',
        occurredAt: '2026-03-02T15:00:00.000Z',
      },
      'chunk-2': {
        text: 'Hi Sam, please send the invoice to accounts payable. Our champion left in May, so renewal is at risk unless the new VP sees value quickly. Best, Dana',
        sourceType: 'email',
        occurredAt: '2026-03-04T09:12:00.000Z',
      },
    };
    h = await startHarness({
      writeback: {
        resolveEvidence: async (chunkIds) => chunkIds.filter((id) => chunkText[id]).map((id) => ({ id, ...chunkText[id]! })),
        hubspotAppUrl: 'https://app.hubspot.com',
      },
    });
    const logger = pino({ level: 'info' }, { write: (s: string) => void accessLog.push(s) });
    app = await buildApp({
      tokens: [{ token: REVIEWER, role: 'reviewer', name: 'rachel' }],
      logger,
      routes: [
        { name: 'reviews', plugin: reviewRoutes, opts: { writeback: h.writeback } },
        { name: 'audit', plugin: auditRoutes, opts: { writeback: h.writeback } },
        { name: 'review-page', plugin: reviewPage },
        { name: 'dashboard', plugin: dashboardRoutes, opts: { writeback: h.writeback } },
      ],
    });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://${HOST}:${new URL(address).port}`;

    contacts = await firstIds(h, 'contacts', 5);
    [company] = (await firstIds(h, 'companies', 1)) as [string];
    names = {};
    for (const id of contacts) {
      const p = await readProps(h, 'contacts', id, ['firstname', 'lastname']);
      names[id] = `${p.firstname} ${p.lastname}`;
    }
    const stage = async (id: string) => (await readProps(h, 'contacts', id, ['lifecyclestage'])).lifecyclestage ?? null;
    const other = (v: string | null) => (v === 'customer' ? 'evangelist' : 'customer');
    const seen = await Promise.all(contacts.map(stage));
    const accounts = await Promise.all(contacts.map((id) => accountOf(h, 'contacts', id)));
    const lifecycle = (i: number, rationale?: string) =>
      proposal({ accountId: accounts[i]!, runId: 'run-ui', agent: 'lead_score', target: { objectType: 'contacts', objectId: contacts[i]! }, field: 'lifecyclestage', value: other(seen[i]!), observedValue: seen[i]!, ...(rationale ? { rationale } : {}) });
    const results = await h.writeback.submit(
      [
        lifecycle(0, 'Signed the order form on the last call.'),
        lifecycle(1),
        lifecycle(2),
        lifecycle(3),
        proposal({ runId: 'run-ui', agent: 'call_summary', target: { objectType: 'companies', objectId: company }, field: 'ai_summary', value: '<img src=x onerror="document.body.dataset.pwned=1"> Renewal at risk: the champion left in May.', confidence: 0.3 }),
        {
          ...proposal({ accountId: accounts[4]!, runId: 'run-ui', agent: 'lead_score', target: { objectType: 'contacts', objectId: contacts[4]! }, field: 'ai_lead_score', value: '38', confidence: 0.42, rationale: 'Calibrated win probability 38.0%' }),
          drivers: [
            { feature: 'industry=software', contribution: 0.61 },
            { feature: 'meetings', contribution: 0.34 },
            { feature: 'stale_months', contribution: -0.82 },
            { feature: 'competitor', contribution: -0.4 },
          ],
        },
      ],
      trace('run-ui', 'lead_score'),
    );
    expect(results.map((r) => r.status)).toEqual(Array(6).fill('pending_review'));
    ['approve', 'reject', 'bulk1', 'bulk2', 'edit', 'score'].forEach((k, i) => (ids[k] = results[i]!.detail!));

    profile = tempDir('hsai-chromium-');
    browser = await chromium.launchPersistentContext(profile.dir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1320, height: 1000 },
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', `--host-resolver-rules=MAP ${HOST} 127.0.0.1`,
      ],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await h?.close();
    profile?.cleanup();
  });

  const card = (id: string) => page.locator(`li.review[data-id="${id}"]`);
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });

  it('works over plain HTTP on a non-localhost host: sign in once, the token becomes an HttpOnly SameSite cookie', async () => {
    const res = await page.goto(`${base}/review`);
    const csp = res!.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    await page.locator('#login-form').waitFor();
    await shot('review-login.png');
    await page.fill('#token-input', 'wrong-token-000');
    await page.click('#login-form button[type="submit"]');
    await page.locator('#login-error', { hasText: 'not accepted' }).waitFor();
    await page.fill('#token-input', REVIEWER);
    await page.click('#login-form button[type="submit"]');
    await card(ids.approve!).waitFor();
    expect(page.url()).toBe(`${base}/review`);
    const cookies = await browser.cookies(base);
    const session = cookies.find((c) => c.name === 'hsai_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false });
    expect(session!.value).not.toContain(REVIEWER);
    expect(await page.evaluate('JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }) + document.cookie')).not.toContain(REVIEWER);
    expect(await page.locator('#who').textContent()).toBe('rachel · reviewer');

    // Reloading keeps the session; an old token link is redirected to the clean address and its token unused.
    await page.goto(`${base}/review?token=${REVIEWER}`);
    await card(ids.approve!).waitFor();
    expect(page.url()).toBe(`${base}/review`);
  });

  it('shows names, owners and HubSpot links, the diff, reasons in words, highlighted evidence and score drivers', async () => {
    const first = card(ids.approve!);
    expect(await first.locator('a.record').textContent()).toContain(names[contacts[0]!]!);
    const portal = await h.gateway.portalId();
    expect(await first.locator('a.record').getAttribute('href')).toBe(`https://app.hubspot.com/contacts/${portal}/record/0-1/${contacts[0]}`);
    expect(await first.locator('.owner').textContent()).toMatch(/^Owner: [A-Z][a-z]+ [A-Z][a-z]+$|^No owner$/);
    expect(await first.locator('.what').textContent()).toBe('Lifecycle stage');
    expect(await first.locator('.proposed ins').textContent()).toMatch(/customer|evangelist/);
    const reason = first.locator('.reasons li').first();
    expect(await reason.textContent()).toContain('A person must approve every change to this core field');
    expect(await reason.getAttribute('title')).toBe('code: protected_field');
    // The sentence that supports "Signed the order form" is marked inside its call transcript, with type and date.
    expect(await first.locator('.chunk mark').first().textContent()).toContain('We signed the order form this morning');
    expect(await first.locator('.chunk .source').first().textContent()).toMatch(/Call\s+Mar \d, 2026/);
    const score = card(ids.score!);
    expect(await score.locator('.drivers li').count()).toBe(4);
    expect(await score.locator('.drivers li').nth(2).textContent()).toContain('lowers');
    // Hostile text is shown, never run.
    expect(await card(ids.edit!).locator('.proposed .text').textContent()).toContain('<img src=x');
    expect(await page.evaluate('document.body.dataset.pwned')).toBeUndefined();
    expect(await page.locator('#summary').textContent()).toBe('1–6 of 6 waiting for review');
    await shot('review-page.png');
  });

  it('searches and filters', async () => {
    await page.fill('input[name="q"]', names[contacts[1]!]!.split(' ')[1]!);
    await page.press('input[name="q"]', 'Enter');
    await page.locator('#summary', { hasText: /of [12] waiting/ }).waitFor();
    expect(await page.locator(`li.review[data-id="${ids.reject}"]`).count()).toBe(1);
    await page.fill('input[name="q"]', '');
    await page.selectOption('select[name="agent"]', 'call_summary');
    await page.locator('#summary', { hasText: '1–1 of 1' }).waitFor();
    await page.selectOption('select[name="agent"]', '');
    await page.locator('#summary', { hasText: '1–6 of 6' }).waitFor();
  });

  it('approves with the keyboard, edits, rejects with a reason, and bulk-approves', async () => {
    const target = (await card(ids.approve!).locator('.proposed ins').textContent())!;
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('j');
    await expect.poll(() => page.evaluate('document.activeElement?.dataset?.id')).toBe(ids.score);
    // The list is newest first: move to the first lifecycle proposal and approve it with "a".
    for (let i = 0; i < 5; i++) await page.keyboard.press('j');
    await expect.poll(() => page.evaluate('document.activeElement?.dataset?.id')).toBe(ids.approve);
    await page.keyboard.press('a');
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
    await rej.locator('input.reject-reason').press('Enter');
    await rej.locator('.result', { hasText: 'Rejected' }).waitFor();
    expect(await readProps(h, 'contacts', contacts[1]!, ['lifecyclestage'])).toEqual(before);

    await card(ids.bulk1!).locator('input.pick').check();
    await card(ids.bulk2!).locator('input.pick').check();
    expect(await page.locator('#bulk-count').textContent()).toBe('2 selected');
    await shot('review-bulk-selected.png');
    await page.click('#bulk-approve');
    await card(ids.bulk1!).locator('.result', { hasText: 'Approved' }).waitFor();
    await card(ids.bulk2!).locator('.result', { hasText: 'Approved' }).waitFor();
    for (const i of [2, 3]) expect((await readProps(h, 'contacts', contacts[i]!, ['lifecyclestage'])).lifecyclestage).toMatch(/customer|evangelist/);

    const audit = await h.writeback.audit({ runId: 'run-ui', event: 'review_approved', limit: 100 });
    expect(audit.map((e) => e.actor)).toEqual(['rachel', 'rachel', 'rachel', 'rachel']);
    expect((await h.writeback.audit({ runId: 'run-ui', event: 'review_rejected' }))[0]?.reasons).toContain('reason: Not a customer yet');
    await shot('review-page-after.png');
  });

  it("shows the record's history and undoes an approved write", async () => {
    const c = card(ids.edit!);
    await c.locator('button.history-toggle').click();
    await c.locator('table.audit').waitFor();
    expect(await c.locator('table.audit').textContent()).toContain('Approved');
    await shot('review-history.png');
    await c.locator('button.undo').first().click();
    await c.locator('.result', { hasText: 'Undone' }).waitFor();
    expect((await readProps(h, 'companies', company, ['ai_summary'])).ai_summary ?? '').not.toBe('Renewal at risk: champion left in May.');
    await c.locator('table.audit', { hasText: 'Undone' }).waitFor();
  });

  it('shows the dashboard: outcomes, backlog, approval and undo rates, tokens and cost, as server-rendered SVG', async () => {
    await page.goto(`${base}/review/dashboard`);
    await page.locator('section.chart[data-chart="cost"] svg').waitFor();
    expect(await page.locator('section.chart svg').count()).toBe(6);
    const numbers = await page.locator('#numbers').textContent();
    expect(numbers).toContain('6proposals in 14 days');
    expect(numbers).toContain('1waiting for review');
    // Three approvals and one rejection of the lead-score agent's lifecycle proposals: 75 %.
    expect(await page.locator('section.chart[data-chart="approval"] svg').textContent()).toMatch(/Lead score.*75%/);
    expect(await page.locator('section.chart[data-chart="undo"] svg').textContent()).toMatch(/Call summary.*100%/);
    await shot('dashboard.png');
  });

  it("shows a proposal HubSpot already held (in its own form) as unchanged in the record's history, by the API's flag", async () => {
    const write = async (id: string) =>
      (await h.writeback.submit([proposal({ id, runId: 'run-ui-same', target: { objectType: 'companies', objectId: company }, field: 'ai_last_run', value: '2026-11-30T23:40:00.000Z', confidence: 1 })], trace('run-ui-same')))[0]!;
    expect((await write('ui-same-1')).status).toBe('applied');
    expect((await write('ui-same-2')).status).toBe('rejected');
    await page.goto(`${base}/review`);
    await page.selectOption('select[name="status"]', 'approved');
    const c = card(ids.edit!);
    await c.locator('button.history-toggle').click();
    const unchanged = c.locator('table.audit tr', { hasText: 'Unchanged: HubSpot already had this value' });
    await unchanged.waitFor();
    expect(await unchanged.count()).toBe(1);
    expect(await unchanged.textContent()).toContain('AI last run');
    await shot('review-history-unchanged.png');
  });

  it('fits a phone screen: no sideways scrolling on the queue or the dashboard at 390 px', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      const overflow = () => page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      await page.goto(`${base}/review`);
      // A waiting suggestion, with its reject box and the score's drivers: the widest card the queue shows.
      await card(ids.score!).locator('.reject-box').waitFor();
      expect(await overflow()).toBe(0);
      await shot('review-narrow.png');
      await page.goto(`${base}/review/dashboard`);
      await page.locator('section.chart[data-chart="cost"] svg').waitFor();
      expect(await overflow()).toBe(0);
      // Two figures a row, not one tall card each.
      const stats = page.locator('#numbers .stat');
      expect((await stats.nth(0).boundingBox())?.y).toBe((await stats.nth(1).boundingBox())?.y);
      await shot('dashboard-narrow.png');
    } finally {
      await page.setViewportSize({ width: 1320, height: 1000 });
    }
  });

  it('serves /docs over plain HTTP on the same host, and never writes the token to the access log', async () => {
    await page.goto(`${base}/docs`);
    await page.locator('.swagger-ui .info .title', { hasText: 'hubspot-ai' }).waitFor();
    await shot('docs.png');
    const log = accessLog.join('');
    expect(log).toContain('"url":"/review?token=[redacted]"');
    expect(log).toContain('/v1/reviews/bulk');
    expect(log).not.toContain(REVIEWER);
  });
});
