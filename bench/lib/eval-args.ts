import { parseArgs } from 'node:util';
import type { RetrievalMode } from '../../src/retrieval/hybrid-search.ts';
import type { TextStyle } from '../../src/sandbox/phrasing/types.ts';
import { MODES } from './eval-retrieval.ts';

export const SECTIONS = ['retrieval', 'callSummary', 'similar', 'scorer', 'grounding'] as const;
export type Section = (typeof SECTIONS)[number];

export interface EvalArgs {
  seeds: number[];
  companies: number;
  style: TextStyle;
  embedder: 'offline' | 'openai';
  /** Embedder of the similar-accounts profiles (default: --embedder). */
  similarEmbedder: 'offline' | 'openai';
  whales: number | undefined;
  sections: Set<Section>;
  /**
   * Retrieval modes each agent runs in (`--modes`, default all three). A mode left out is `null` in the JSON
   * (`retrieval.<agent>.<mode>`, its interval, inContext and outdatedFirst); the product's own mode also runs when
   * grounding is measured, since the claims graded are the ones its context produced.
   */
  modes: RetrievalMode[];
  trainSeeds: ((seed: number) => number[]) ;
  trainCompanies: number;
  maxQuestions: number | undefined;
  outDir: string;
  json: boolean;
  /**
   * A directory whose SQLite cache keeps the model's embeddings between runs (`--embedder openai` only): a CPU
   * model server embeds a 100-company portal in tens of minutes, so re-measuring after a ranking change should
   * cost only the queries.
   */
  embeddingCache: string | undefined;
  /** A file that gets one JSON line per retrieval miss of the product's mode (`eval-misses.ts`), per seed. */
  misses: string | undefined;
}

export const USAGE = `npm run eval -- [--seed 7 | --seeds 7,11,13] [--companies 300] [--style dev|test] [--embedder offline|openai]
                [--similar-embedder offline|openai]
                [--whales N] [--sections retrieval,callSummary,similar,scorer,grounding] [--modes hybrid,bm25,dense]
                [--train-seeds 101,102]
                [--train-companies 1000] [--max-questions N] [--out eval-out] [--json]
                [--embedding-cache DIR] [--misses FILE]

  --style       dev: the phrasing cue lists were tuned on; test: phrasings written apart (report these)
  --embedder    offline: the lexical hashing embedder; openai: the OpenAI-compatible server configured by
                OPENAI_BASE_URL / OPENAI_API_KEY / EMBEDDING_MODEL / EMBEDDING_DIMENSIONS
  --similar-embedder  the embedder of similar-accounts profiles only (two texts per account: a CPU model server
                can embed them for hundreds of accounts while the chunks stay on the offline embedder)
  --modes       the retrieval modes the agents run in (default all three: each costs a full pass of agent runs);
                a mode left out is null in the JSON (retrieval.<agent>.<mode>, intervals, inContext, outdatedFirst)
                and "not run" in the table; grounding adds the product's own mode
  --embedding-cache  keep the model's embeddings in DIR between runs (chunks are embedded once per seed)
  --misses      write every retrieval miss of the product's mode to FILE, one JSON line each (its rank in every
                mode, the context above it, each standing question's ranking); read dev-style misses to tune
  --train-seeds seeds of the portals the lead scorer is trained on (default: seed+101, seed+202, seed+303)`;

function ints(v: string, name: string): number[] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x < 0)) throw new Error(`--${name}: expected non-negative integers, got "${v}"`);
  return xs;
}

/** `--modes hybrid,bm25`: the retrieval modes to run, in MODES order, each once. */
export function parseModes(list: string): RetrievalMode[] {
  const asked = list.split(',').map((m) => m.trim()).filter(Boolean);
  for (const m of asked) if (!(MODES as string[]).includes(m)) throw new Error(`--modes: unknown retrieval mode "${m}" (${MODES.join(', ')})`);
  if (asked.length === 0) throw new Error(`--modes: name at least one of ${MODES.join(', ')}`);
  return MODES.filter((m) => asked.includes(m));
}

export function parseEvalArgs(argv: string[]): EvalArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: 'string' },
      seeds: { type: 'string' },
      companies: { type: 'string', default: '300' },
      style: { type: 'string', default: 'dev' },
      embedder: { type: 'string', default: 'offline' },
      'similar-embedder': { type: 'string' },
      whales: { type: 'string' },
      sections: { type: 'string' },
      modes: { type: 'string' },
      'train-seeds': { type: 'string' },
      'train-companies': { type: 'string', default: '1000' },
      'max-questions': { type: 'string' },
      out: { type: 'string', default: 'eval-out' },
      json: { type: 'boolean', default: false },
      'embedding-cache': { type: 'string' },
      misses: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const style = values.style;
  if (style !== 'dev' && style !== 'test') throw new Error(`--style: expected dev or test, got "${style}"`);
  const embedder = values.embedder;
  if (embedder !== 'offline' && embedder !== 'openai') throw new Error(`--embedder: expected offline or openai, got "${embedder}"`);
  const similarEmbedder = values['similar-embedder'] ?? embedder;
  if (similarEmbedder !== 'offline' && similarEmbedder !== 'openai') throw new Error(`--similar-embedder: expected offline or openai, got "${similarEmbedder}"`);
  const sections = new Set((values.sections ?? SECTIONS.join(',')).split(',').map((s) => s.trim()) as Section[]);
  for (const s of sections) if (!SECTIONS.includes(s)) throw new Error(`--sections: unknown section "${s}" (${SECTIONS.join(', ')})`);
  const modes = parseModes(values.modes ?? MODES.join(','));
  const seeds = values.seeds ? ints(values.seeds, 'seeds') : ints(values.seed ?? '7', 'seed');
  const [companies] = ints(values.companies, 'companies');
  const [trainCompanies] = ints(values['train-companies'], 'train-companies');
  const explicitTrain = values['train-seeds'] ? ints(values['train-seeds'], 'train-seeds') : null;
  for (const s of seeds) if (explicitTrain?.includes(s)) throw new Error(`--train-seeds must not contain a test seed (${s})`);
  return {
    seeds,
    companies: companies!,
    style,
    embedder,
    similarEmbedder,
    whales: values.whales === undefined ? undefined : ints(values.whales, 'whales')[0],
    sections,
    modes,
    trainSeeds: (seed) => explicitTrain ?? [seed + 101, seed + 202, seed + 303],
    trainCompanies: trainCompanies!,
    maxQuestions: values['max-questions'] ? ints(values['max-questions'], 'max-questions')[0] : undefined,
    outDir: values.out,
    json: values.json,
    embeddingCache: values['embedding-cache'],
    misses: values.misses,
  };
}
