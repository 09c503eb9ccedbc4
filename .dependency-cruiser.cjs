/**
 * The module boundaries of src/, checked by `npm run lint` (dependency-cruiser). A folder may import its own
 * layer's lower neighbours and anything below; never a layer above it, and never across the sandbox wall.
 * Type-only imports count: a port's types belong to the layer that owns the port.
 *
 * From the bottom up (README, "Architecture at a glance"):
 *   platform   core, text, errors, logging, metrics, tracing: shared by every module; product-neutral
 *   config     one schema for every setting
 *   storage    db (SQLite file, SQL handle), cache (key-value port + adapters)
 *   hubspot    the gateway over HubSpot's API
 *   retrieval  vector store port + adapters, search, context
 *   ingest     normalise, chunk, embed and index histories (writes through retrieval's store port)
 *   agents     providers and agents: proposals, never writes; enrichment (the enrichment provider port + adapters)
 *   writeback  policy, decisions, audit, the HubSpot writer
 *   edge       webhooks (event types, signatures), queue (port, adapters, job payloads)
 *   pipeline   events (dedupe, routing, the job handlers), actions (workflow actions)
 *   api        the fastify app and its routes; oauth (public-app install, token store, refresh; its routes)
 *   runtime    the composition root; testing (fakes the tests and the demo start)
 *   entry      cli, the package entry points
 * The sandbox portal depends on nothing of the product (only on its own files and npm packages).
 */
const LAYERS = [
  ['platform', ['core', 'text', 'errors.ts', 'logging.ts', 'metrics.ts', 'tracing.ts']],
  ['config', ['config']],
  ['storage', ['db', 'cache']],
  ['hubspot', ['hubspot']],
  ['retrieval', ['retrieval']],
  ['ingest', ['ingest']],
  ['agents', ['agents', 'enrichment']],
  ['writeback', ['writeback']],
  ['edge', ['webhooks', 'queue']],
  ['pipeline', ['events', 'actions']],
  ['api', ['api', 'oauth']],
  ['runtime', ['runtime', 'testing']],
  ['entry', ['cli', 'cli.ts', 'main.ts', 'index.ts', 'healthcheck.ts']],
];

const escape = (s) => s.replace(/[.]/g, '\\.');
const pathOf = (names) => `^src/(${names.map(escape).join('|')})(/|$)`;

const upward = LAYERS.slice(0, -1).map(([name, folders], i) => {
  const above = LAYERS.slice(i + 1).flatMap(([, f]) => f);
  return {
    name: `layer-${name}`,
    comment: `${folders.join(', ')} (layer ${name}) must not import a higher layer: ${above.join(', ')}, or the sandbox`,
    severity: 'error',
    from: { path: pathOf(folders) },
    to: { path: pathOf([...above, 'sandbox']) },
  };
});

/** Within a layer, one direction only (so no cycle runs through two folders of one layer). */
const sameLayer = [
  { name: 'core-below-text', from: 'core', to: 'text' },
  { name: 'db-below-cache', from: 'db', to: 'cache' },
  // queue payloads may name webhook event types; the webhook edge knows nothing of the queue
  { name: 'webhooks-below-queue', from: 'webhooks', to: 'queue' },
  { name: 'events-below-actions', from: 'events', to: 'actions' },
  { name: 'testing-below-runtime', from: 'testing', to: 'runtime' },
  // the OAuth module mounts its routes with the API's error format; the API knows nothing of OAuth
  { name: 'api-below-oauth', from: 'api', to: 'oauth' },
].map(({ name, from, to }) => ({
  name,
  comment: `${from} must not import ${to}`,
  severity: 'error',
  from: { path: pathOf([from]) },
  to: { path: pathOf([to]) },
}));

const known = new Set(LAYERS.flatMap(([, f]) => f).concat('sandbox'));

module.exports = {
  forbidden: [
    ...upward,
    ...sameLayer,
    {
      name: 'sandbox-stands-alone',
      comment: 'the sandbox portal is an independent HubSpot stand-in: it imports nothing of the product',
      severity: 'error',
      from: { path: '^src/sandbox/' },
      to: { path: '^src/', pathNot: '^src/sandbox/' },
    },
    {
      name: 'no-folder-cycles',
      comment: 'no import cycles (madge checks files; this also catches cycles through folders)',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'unknown-module',
      comment: 'every folder of src/ has a place in the layer table above: add a new one there',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(${[...known].map(escape).join('|')})(/|$)` },
      to: {},
    },
    {
      name: 'src-never-imports-tests',
      comment: 'the product never imports test code or benches',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
  ],
  options: {
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
