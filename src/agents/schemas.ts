import { z } from 'zod';

/**
 * What each model call must return. Built for OpenAI strict structured outputs: every property is required
 * (absence is `null`), no open objects. `evidence` holds the chunk references (`c3`) shown in the prompt.
 */

const evidence = z.array(z.string()).describe('References of the retrieved chunks that support this item, e.g. ["c2"]');
const claim = z.object({ text: z.string(), evidence });

export const ROUTES = ['route_to_sdr', 'nurture', 'disqualify'] as const;
export type Route = (typeof ROUTES)[number];

export const CallSummaryOutputSchema = z.object({
  summary: z.string().describe('Two to four sentences.'),
  keyPoints: z.array(claim),
  nextSteps: z.array(
    z.object({
      text: z.string(),
      owner: z.string().nullable().describe('Who committed to it, when stated'),
      dueDate: z.string().nullable().describe('When it is due, as stated (e.g. "Friday", "2024-05-03")'),
      evidence,
    }),
  ),
  objections: z.array(claim),
  risks: z.array(claim),
  competitors: z.array(z.object({ name: z.string(), evidence })),
});
export type CallSummaryOutput = z.infer<typeof CallSummaryOutputSchema>;

export const LeadIntentOutputSchema = z.object({
  route: z.enum(ROUTES),
  reasons: z.array(claim).describe('Buying-intent signals (or their absence), each citing chunks'),
  summary: z.string(),
});
export type LeadIntentOutput = z.infer<typeof LeadIntentOutputSchema>;

export const ReplyDraftOutputSchema = z.object({
  subject: z.string(),
  body: z.string().describe('The reply to send, plain text, for the rep to edit'),
  claims: z.array(claim).describe('Every factual statement the body makes, each citing chunks'),
});
export type ReplyDraftOutput = z.infer<typeof ReplyDraftOutputSchema>;

export const CHURN_LEVELS = ['low', 'medium', 'high'] as const;

export const AccountSummaryOutputSchema = z.object({
  summary: z.string(),
  highlights: z.array(claim),
  churnRisk: z.enum(CHURN_LEVELS),
  churnReasons: z.array(claim),
  recommendation: z.string(),
});
export type AccountSummaryOutput = z.infer<typeof AccountSummaryOutputSchema>;

export const ENRICHMENT_FIELDS = ['industry', 'numberofemployees', 'ai_tech_stack', 'ai_intent_signals'] as const;
export type EnrichmentField = (typeof ENRICHMENT_FIELDS)[number];

export const EnrichmentOutputSchema = z.object({
  facts: z.array(
    z.object({
      field: z.enum(ENRICHMENT_FIELDS),
      value: z
        .string()
        .describe("industry: HubSpot's value (e.g. COMPUTER_SOFTWARE); numberofemployees: digits; ai_tech_stack and ai_intent_signals: one item"),
      quote: z.string().describe('The sentence of the history that states it, copied exactly'),
      evidence,
    }),
  ),
});
export type EnrichmentOutput = z.infer<typeof EnrichmentOutputSchema>;
