import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { auditRoutes } from '../../src/api/routes/audit.ts';
import { dashboardRoutes } from '../../src/api/routes/dashboard.ts';
import { reviewRoutes } from '../../src/api/routes/reviews.ts';
import { reviewPage } from '../../src/api/review-page/plugin.ts';
import type { Proposal } from '../../src/core/proposal.ts';
import { firstIds, proposal, readProps, startHarness, trace, type Harness } from './harness.ts';

/**
 * The review page as a sales rep reads it, in headless Chromium at 1280 px and 390 px: confidence shown as what it
 * is (a validated model's calibrated probability, no figure for an unvalidated one, the share of free text backed
 * by sources), a vendor's match score named as the vendor's own, the AI's reasoning without model ids, commands or
 * validation tallies (those stay under a collapsed "Technical details"). Proposals are shaped like the demo's.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CI = process.env.CI === 'true' || process.env.CI === '1';
const available = fs.existsSync(CHROMIUM);
if (!available && CI) throw new Error(`Chromium not found at ${CHROMIUM} but CI=true: install Debian's chromium (apt-get install -y chromium)`);
if (!available) console.warn(`[skipped] review page (rep view) browser test: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);

const REVIEWER = 'rep-view-reviewer-token-4c1d';
const ARTIFACTS = path.resolve('test-artifacts');

const UNVALIDATED_SUMMARY =
  'model offline:offline-extractive-v1 has no held-out validation for enrichment.industry: its judgments are not calibrated, so a person decides (measure it with `npm run calibrate`)';
const CHURN_SUMMARY =
  'model offline:offline-extractive-v1: account_summary.ai_churn_risk (high) 39/167 right (0.23, 95% lower bound 0.17) on the lower of: sandbox dev style, seeds 21,22, 300 companies each (development) and sandbox test style, seeds 31,32, 300 companies each (held-out phrasing), measured 2026-11-30; confidence capped there';

const LONG_SUMMARY = 'Renewal at risk: the champion left in May, the new VP has not seen the rollout results, and procurement wants a second quote before the renewal date.';
const SCORER_SUMMARY = 'scorer not validated: the AUC interval reaches down to 0.52 (needs > 0.6); 80 closed deals (needs ≥ 200); held-out AUC 0.64 (95% CI 0.52–0.76), ECE 0.148, 80 closed deals, trained 2026-12-01';

(available ? describe : describe.skip)('review page for a sales rep (headless Chromium)', () => {
  let h: Harness;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let base: string;
  const ids: Record<string, string> = {};
  let sourceWords: Set<string>;

  beforeAll(async () => {
    // Evidence longer than the window the card shows: 200 words that a cut inside one would change ("word12x" → "word12").
    const words = Array.from({ length: 200 }, (_, i) => `word${i}x`);
    h = await startHarness({
      writeback: { resolveEvidence: async (chunkIds) => chunkIds.map((id) => ({ id, text: words.join(' '), sourceType: 'note', occurredAt: '2026-03-02T15:00:00.000Z' })) },
    });
    sourceWords = new Set(words);
    app = await buildApp({
      tokens: [{ token: REVIEWER, role: 'reviewer', name: 'rita' }],
      routes: [
        { name: 'reviews', plugin: reviewRoutes, opts: { writeback: h.writeback } },
        { name: 'audit', plugin: auditRoutes, opts: { writeback: h.writeback } },
        { name: 'review-page', plugin: reviewPage },
        { name: 'dashboard', plugin: dashboardRoutes, opts: { writeback: h.writeback } },
      ],
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    const [company, other] = (await firstIds(h, 'companies', 2)) as [string, string];
    const industry = (await readProps(h, 'companies', company, ['industry'])).industry ?? null;
    const items: Proposal[] = [
      // The demo's enrichment proposal: an unvalidated model (confidence 0 stands for "no figure").
      proposal({
        runId: 'run-rep', agent: 'enrichment', target: { objectType: 'companies', objectId: company }, field: 'industry', value: industry === 'COMPUTER_SOFTWARE' ? 'RETAIL' : 'COMPUTER_SOFTWARE', confidence: 0, observedValue: industry,
        rationale: `Proposed "COMPUTER_SOFTWARE": the history and the provider disagree. Sources: account history “Acme is a software company.”: COMPUTER_SOFTWARE; provider sandbox (match 0.93): HOSPITAL_HEALTH_CARE. ${UNVALIDATED_SUMMARY}`,
        modelValidation: { validated: false, confidenceBound: 0, summary: UNVALIDATED_SUMMARY, key: 'enrichment.industry', valueClass: 'conflict' },
      }),
      // A validated judgment: its confidence is capped at the model's held-out lower bound.
      proposal({
        runId: 'run-rep', agent: 'account_summary', target: { objectType: 'companies', objectId: other }, field: 'ai_churn_risk', value: 'high', confidence: 0.17,
        rationale: `grounding 1.00 (share of cited reasons supported); ${CHURN_SUMMARY} | Our champion left in May.`,
        modelValidation: { validated: true, confidenceBound: 0.17, summary: CHURN_SUMMARY, key: 'account_summary.ai_churn_risk', valueClass: 'high' },
      }),
      // Free text: its confidence is the share of statements backed by a cited source.
      proposal({ runId: 'run-rep', agent: 'call_summary', target: { objectType: 'companies', objectId: other }, field: 'ai_summary', value: LONG_SUMMARY, confidence: 0.5, rationale: 'Summary of call 77; 1 of 2 statement(s) supported by the cited text' }),
      // An unvalidated scorer's number: an estimate, not a score out of 100.
      proposal({
        runId: 'run-rep', agent: 'lead_score', target: { objectType: 'companies', objectId: company }, field: 'ai_lead_score', value: '37', confidence: 0.55,
        rationale: 'Calibrated win probability 37.0%; drivers: Meetings held: 3 (+0.40)', drivers: [{ feature: 'meetings', label: 'Meetings held: 3', value: 3, contribution: 0.4 }],
        modelValidation: { validated: false, confidenceBound: 0.55, summary: SCORER_SUMMARY },
      }),
    ];
    const results = await h.writeback.submit(items, trace('run-rep', 'enrichment'));
    expect(results.map((r) => `${r.status} ${r.status === 'pending_review' ? '' : r.decision.reasons.join('; ')}`.trim())).toEqual(Array(4).fill('pending_review'));
    ['enrichment', 'churn', 'summary', 'score'].forEach((k, i) => (ids[k] = results[i]!.detail!));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${base}/review`);
    await page.fill('#token-input', REVIEWER);
    await page.click('#login-form button[type="submit"]');
    await card(ids.enrichment!).waitFor();
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await h?.close();
  });

  const words = () => [...sourceWords].join(' ');
  const card = (id: string) => page.locator(`li.review[data-id="${id}"]`);
  /** What a rep reads without opening anything: collapsed details are not rendered, so innerText leaves them out. */
  const readingPath = (id: string) => card(id).innerText();

  it('says "Not validated: a person decides" for an unvalidated model, never "0% sure"; a calibrated figure as "% sure"; free text as backed by sources', async () => {
    const enrichment = card(ids.enrichment!);
    const label = await enrichment.locator('.confidence').innerText();
    expect(label).toContain('Not validated: a person decides');
    expect(await readingPath(ids.enrichment!)).not.toMatch(/\d+% sure/);
    expect(await enrichment.locator('.confidence .bar').count()).toBe(0);
    // "confidence 0.00 is below the threshold 0.90" is the absence of a figure, not a reason to show a rep.
    expect(await readingPath(ids.enrichment!)).not.toContain('0.00');
    expect(await card(ids.churn!).locator('.confidence').innerText()).toBe('17% sure');
    expect(await card(ids.churn!).locator('.confidence').getAttribute('title')).toContain('right at least 17%');
    expect(await card(ids.summary!).locator('.confidence').innerText()).toBe('50% backed by sources');
  });

  it('shows a long piece of evidence cut between words, the whole of it one click away', async () => {
    const quote = card(ids.churn!).locator('.chunk blockquote').first();
    const shown = (await quote.innerText()).replace(/^… | …$/g, '');
    expect(shown.length).toBeLessThan(words().length);
    for (const w of shown.split(/\s+/)) expect(sourceWords.has(w), w).toBe(true);
    await card(ids.churn!).locator('.chunk button', { hasText: 'Show all' }).first().click();
    expect(await quote.innerText()).toBe(words());
    await card(ids.churn!).locator('.chunk button', { hasText: 'Show less' }).first().click();
  });

  it('names the provider match score as the provider’s own figure, beside its value', async () => {
    const text = await card(ids.enrichment!).locator('.rationale').innerText();
    expect(text).toContain('provider sandbox (the provider’s own match score 0.93, not a probability): HOSPITAL_HEALTH_CARE');
    expect(text).toContain('account history “Acme is a software company.”: COMPUTER_SOFTWARE');
  });

  it('keeps developer text (commands, model ids, internal keys, tallies) out of the reading path, in a collapsed "Technical details"', async () => {
    for (const id of [ids.enrichment!, ids.churn!]) {
      const text = await readingPath(id);
      for (const dev of ['npm run calibrate', '`', 'offline:offline-extractive-v1', 'enrichment.industry', 'account_summary.ai_churn_risk', '39/167', 'grounding 1.00']) expect(text, dev).not.toContain(dev);
      const tech = card(id).locator('details.tech');
      expect(await tech.getAttribute('open')).toBeNull();
      expect(await tech.locator('summary').innerText()).toBe('Technical details');
    }
    expect(await card(ids.churn!).locator('.rationale').innerText()).toContain('Every one of the reasons it cites is backed by the record’s history');
    expect(await card(ids.churn!).locator('.rationale').innerText()).toContain('Our champion left in May.');
    // The audit text is intact and one click away.
    await card(ids.enrichment!).locator('details.tech summary').click();
    const tech = await card(ids.enrichment!).locator('details.tech').innerText();
    expect(tech).toContain('measure it with `npm run calibrate`');
    expect(tech).toContain('provider sandbox (match 0.93)');
    expect(tech).toContain('model_unvalidated');
    await card(ids.enrichment!).locator('details.tech summary').click();
  });

  it('shows an unvalidated lead score as an estimate, never as a score out of 100 or a calibrated probability', async () => {
    const score = card(ids.score!);
    expect(await score.locator('.proposed h3').innerText()).toMatch(/^Estimate by the AI \(not validated\)$/i);
    expect(await score.locator('.proposed .estimate').innerText()).toContain('not a score to rely on');
    const text = await readingPath(ids.score!);
    expect(text).not.toMatch(/\/100|calibrated|% sure|AUC/i);
    expect(await score.locator('.rationale').innerText()).toContain('Estimated win probability 37.0%');
    await score.screenshot({ path: path.join(ARTIFACTS, 'review-rep-score-1280.png') });
  });

  /** The smallest size a chart's text is drawn at on screen, in CSS pixels, and how far any text runs past its chart. */
  // (A string evaluated in the page: the tests compile without the DOM types.)
  const chartText = () =>
    page.evaluate<Array<{ chart: string; smallest: number; overrun: number }>>(`
      [...document.querySelectorAll('section.chart svg')].map((svg) => {
        const box = svg.getBoundingClientRect();
        const scale = box.width / svg.viewBox.baseVal.width;
        const sizes = [...svg.querySelectorAll('text, tspan')].map((t) => Number(t.getAttribute('font-size') ?? t.parentElement.getAttribute('font-size')) * scale);
        const overrun = Math.max(0, ...[...svg.querySelectorAll('text')].map((t) => t.getBoundingClientRect().right - box.right));
        return { chart: svg.closest('section').dataset.chart, smallest: Math.round(Math.min(...sizes) * 10) / 10, overrun: Math.round(overrun) };
      })
    `);

  it('draws the dashboard charts for the screen: text at least 11 px on a 390 px phone and at 1280 px, none running out', async () => {
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 844 });
      await page.goto(`${base}/review/dashboard`);
      await page.locator('section.chart[data-chart="cost"] svg').waitFor();
      const charts = await chartText();
      expect(charts).toHaveLength(6);
      for (const c of charts) {
        expect(c.smallest, `${c.chart} at ${width} px`).toBeGreaterThanOrEqual(11);
        expect(c.overrun, `${c.chart} at ${width} px`).toBe(0);
      }
      expect(await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBe(0);
      await page.screenshot({ path: path.join(ARTIFACTS, `dashboard-rep-${width}.png`), fullPage: true });
    }
    // Turning the phone: the charts are drawn again for the new width.
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(async () => (await chartText()).every((c) => c.smallest >= 11)).toBe(true);
    await page.setViewportSize({ width: 1280, height: 1000 });
  });

  it('refuses a chart width it cannot draw with a clear error', async () => {
    for (const width of ['50', '99999', 'wide']) {
      const res = await app.inject({ method: 'GET', url: `/v1/dashboard?width=${width}`, headers: { authorization: `Bearer ${REVIEWER}` } });
      expect(res.statusCode, width).toBe(400);
      expect(res.json().error.message, width).toMatch(/width/);
    }
    const ok = await app.inject({ method: 'GET', url: '/v1/dashboard?width=358', headers: { authorization: `Bearer ${REVIEWER}` } });
    expect(ok.json().charts.approval).toContain('viewBox="0 0 358 ');
  });

  it("cuts a long change in the record's history at a word boundary, with the whole text one click away", async () => {
    await page.goto(`${base}/review`);
    const c = card(ids.summary!);
    await c.locator('button.approve').click();
    await c.locator('.result', { hasText: 'Approved' }).waitFor();
    await c.locator('button.history-toggle').click();
    const cell = c.locator('table.audit tr', { hasText: 'Approved' }).first().locator('td.what');
    await cell.waitFor();
    const whole = `AI summary: (empty) → ${LONG_SUMMARY}`;
    // The cell holds the text and its "Show all" / "Show less" button.
    const text = async () => ((await cell.textContent()) ?? '').replace(/ Show (all|less)$/, '');
    const shown = await text();
    expect(shown.length).toBeLessThanOrEqual(140);
    expect(shown.endsWith('…')).toBe(true);
    expect(whole.startsWith(shown.slice(0, -1))).toBe(true);
    expect(whole[shown.length - 1]).toMatch(/[\s,;:]/);
    await cell.locator('button', { hasText: 'Show all' }).click();
    expect(await text()).toBe(whole);
    await c.screenshot({ path: path.join(ARTIFACTS, 'review-rep-history-1280.png') });
  });

  it('looks right at 1280 px and on a 390 px phone (screenshots in test-artifacts/)', async () => {
    await page.goto(`${base}/review`);
    await card(ids.enrichment!).waitFor();
    await card(ids.enrichment!).screenshot({ path: path.join(ARTIFACTS, 'review-rep-enrichment-1280.png') });
    await card(ids.churn!).screenshot({ path: path.join(ARTIFACTS, 'review-rep-churn-1280.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      expect(await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBe(0);
      await card(ids.enrichment!).screenshot({ path: path.join(ARTIFACTS, 'review-rep-enrichment-390.png') });
      await card(ids.score!).screenshot({ path: path.join(ARTIFACTS, 'review-rep-score-390.png') });
    } finally {
      await page.setViewportSize({ width: 1280, height: 1000 });
    }
  });
});
