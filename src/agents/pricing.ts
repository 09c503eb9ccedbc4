/**
 * USD per 1M tokens (input, output) for models we know, from OpenAI's public price list. Unknown models (a
 * local Ollama or vLLM server) cost 0: we still record their token counts. Longest prefix wins, so dated
 * snapshots (`gpt-4o-mini-2024-07-18`) price like their family.
 */
const PRICES: Array<[prefix: string, input: number, output: number]> = [
  ['gpt-4o-mini', 0.15, 0.6],
  ['gpt-4o', 2.5, 10],
  ['gpt-4.1-nano', 0.1, 0.4],
  ['gpt-4.1-mini', 0.4, 1.6],
  ['gpt-4.1', 2, 8],
  ['gpt-5-nano', 0.05, 0.4],
  ['gpt-5-mini', 0.25, 2],
  ['gpt-5', 1.25, 10],
  ['o4-mini', 1.1, 4.4],
];

export function chatCostUsd(model: string, inputTokens: number, outputTokens: number): number {
  const match = PRICES.filter(([p]) => model.startsWith(p)).sort((a, b) => b[0].length - a[0].length)[0];
  if (!match) return 0;
  return (inputTokens * match[1] + outputTokens * match[2]) / 1_000_000;
}
