/**
 * How far the hidden need cluster alone predicts an account's outcome, from the generator's truth (no indexing):
 *   npx tsx bench/similar-outcome-ceiling.ts [--seeds 504,505] [--companies 3000] [--style dev]
 * Accounts with a closed deal are ranked by their cluster's win rate (any deal won); the AUC is the most the
 * similar-accounts usefulness figure (neighbours' outcomes predicting the account's own) can reach when the
 * neighbours are exactly the account's cluster. Run on development seeds; the eval reports its own per portal.
 */
import { parseArgs } from 'node:util';
import { auc } from '../src/agents/scorer/evaluation.ts';
import { generatePortal } from '../src/sandbox/generator.ts';
import { bootstrap } from './lib/eval-stats.ts';

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '504,505' }, companies: { type: 'string', default: '3000' }, style: { type: 'string', default: 'dev' } } });
const style = values.style === 'test' ? 'test' : 'dev';
for (const seed of values.seeds.split(',').map(Number)) {
  const truth = generatePortal({ seed, companies: Number(values.companies), style }).groundTruth;
  const won = new Map<string, boolean>();
  for (const d of truth.deals) if (d.companyId && d.outcome !== 'open') won.set(d.companyId, (won.get(d.companyId) ?? false) || d.outcome === 'won');
  const accounts = truth.companies.filter((c) => won.has(c.id));
  const rate = new Map<string, number>();
  for (const cluster of new Set(accounts.map((c) => c.needCluster))) {
    const members = accounts.filter((c) => c.needCluster === cluster);
    rate.set(cluster, members.filter((c) => won.get(c.id)).length / members.length);
  }
  const scores = accounts.map((c) => rate.get(c.needCluster)!);
  const labels = accounts.map((c) => won.get(c.id)!);
  const [lo, hi] = bootstrap(scores.length, (idx) => auc(idx.map((i) => scores[i]!), idx.map((i) => labels[i]!)));
  const rates = [...rate].map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
  console.log(`seed ${seed} (${style}, ${values.companies} companies): ${accounts.length} accounts with a closed deal; cluster win-rate AUC ${auc(scores, labels).toFixed(3)} [${lo.toFixed(2)}–${hi.toFixed(2)}]; win rates: ${rates}`);
}
