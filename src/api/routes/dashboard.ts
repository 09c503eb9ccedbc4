import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { writebackOf, type WritebackSource } from '../tenancy.ts';
import { horizontalBars, stackedColumns } from '../dashboard/svg-charts.ts';
import { toApiError } from './reviews.ts';

/**
 * `GET /v1/dashboard?days=14`: what the AI proposed and what became of it, the review backlog and its age,
 * approval and undo rates per agent, and model tokens and cost per agent per day — as numbers and as SVG
 * charts rendered here (the page only places them).
 */

const AGENT_COLORS: Record<string, string> = { call_summary: '#0091ae', lead_score: '#ff7a59', reply_draft: '#6a78d1', account_summary: '#00a38d' };
const AGENT_LABELS: Record<string, string> = { call_summary: 'Call summary', lead_score: 'Lead score', reply_draft: 'Reply draft', account_summary: 'Account summary', enrichment: 'Enrichment' };
const label = (agent: string) => AGENT_LABELS[agent] ?? agent;
const shortDay = (iso: string) => new Date(`${iso}T00:00:00Z`).toLocaleDateString('en', { month: 'short', day: 'numeric', timeZone: 'UTC' });

export const dashboardRoutes: FastifyPluginAsync<{ writeback: WritebackSource }> = async (fastify, opts) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/v1/dashboard',
    {
      config: { auth: 'reader' },
      schema: {
        tags: ['reviews'],
        summary: 'Dashboard: outcomes over time, review backlog, approval and undo rates, tokens and cost per agent (numbers and SVG charts)',
        querystring: z.object({
          days: z.coerce.number().int().min(1).max(90).default(14),
          width: z.coerce
            .number()
            .int()
            .min(280)
            .max(1600)
            .default(560)
            .describe('Width in CSS pixels the charts are drawn for (the page sends its own): text stays at its size instead of shrinking with the chart'),
        }),
        response: { 200: z.object({ stats: z.unknown(), charts: z.record(z.string(), z.string()) }) },
      },
    },
    async (req) => {
      let stats;
      try {
        stats = await (await writebackOf(opts.writeback, req)).dashboard({ days: req.query.days });
      } catch (err) {
        throw toApiError(err);
      }
      const days = stats.days.map(shortDay);
      const width = req.query.width;
      const agents = [...new Set([...stats.agents.map((a) => a.agent), ...stats.usage.map((u) => u.agent)])].sort();
      const tokensBy = (agent: string) => stats.days.map((d) => stats.usage.filter((u) => u.day === d && u.agent === agent).reduce((s, u) => s + u.inputTokens + u.outputTokens, 0));
      const costBy = (agent: string) => stats.days.map((d) => stats.usage.filter((u) => u.day === d && u.agent === agent).reduce((s, u) => s + u.costUsd, 0));
      const charts = {
        outcomes: stackedColumns({
          width,
          title: 'Proposals by outcome per day',
          labels: days,
          series: [
            { name: 'Written automatically', color: '#00a38d', values: stats.outcomes.map((o) => o.apply) },
            { name: 'Sent to a person', color: '#ff7a59', values: stats.outcomes.map((o) => o.review) },
            { name: 'Refused by the policy', color: '#d94c53', values: stats.outcomes.map((o) => o.reject) },
          ],
        }),
        backlog: horizontalBars({
          width,
          title: 'Review backlog by age',
          rows: stats.backlog.ages.map((a, i) => ({ label: a.label, value: a.count, color: ['#7fd1c6', '#00a38d', '#f5c26b', '#ff7a59', '#d94c53'][i] ?? '#516f90' })),
        }),
        approval: horizontalBars({
          width,
          title: 'Approval rate of reviewed proposals, per agent',
          percent: true,
          max: 1,
          rows: stats.agents.map((a) => ({ label: label(a.agent), value: a.approvalRate, color: AGENT_COLORS[a.agent] ?? '#516f90', note: `${a.approved} of ${a.approved + a.rejected}` })),
        }),
        undo: horizontalBars({
          width,
          title: 'Undo rate of AI writes, per agent',
          percent: true,
          max: 1,
          rows: stats.agents.map((a) => ({ label: label(a.agent), value: a.undoRate, color: AGENT_COLORS[a.agent] ?? '#516f90', note: `${a.undone} of ${a.applied}` })),
        }),
        tokens: stackedColumns({
          width,
          title: 'Model tokens per agent per day',
          labels: days,
          series: agents.map((a) => ({ name: label(a), color: AGENT_COLORS[a] ?? '#516f90', values: tokensBy(a) })),
        }),
        cost: stackedColumns({
          width,
          title: 'Model cost per agent per day (USD)',
          labels: days,
          unit: '$',
          series: agents.map((a) => ({ name: label(a), color: AGENT_COLORS[a] ?? '#516f90', values: costBy(a) })),
        }),
      };
      return { stats, charts };
    },
  );
};
