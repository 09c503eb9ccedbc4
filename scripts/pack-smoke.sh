#!/usr/bin/env bash
# The package as a user gets it: `npm pack` (prepack builds dist/), install the tarball into an empty folder,
# then, with only what the tarball and its dependencies hold, import the library (JavaScript and its types),
# index one sandbox account through the container and read it back with AccountHistoryRetriever, and run the
# installed `hubspot-ai` command. Usage: bash scripts/pack-smoke.sh [workdir]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
work=${1:-$(mktemp -d /tmp/hubspot-ai-pack.XXXXXX)}
mkdir -p "$work"
[ -z "${1:-}" ] && trap 'rm -rf "$work"' EXIT
step() { printf '\n-- pack smoke: %s\n' "$*"; }

step "npm pack (prepack runs the build)"
tgz="$work/$(npm pack --pack-destination "$work" --silent | tail -1)"
echo "$tgz ($(du -k "$tgz" | cut -f1) KiB)"
listing=$(tar -tzf "$tgz")
if grep -E '^package/(src|test|bench)/' <<<"$listing" >/dev/null; then echo "the tarball ships sources or tests"; exit 1; fi
for f in LICENSE dist/index.js dist/index.d.ts dist/main.js dist/ingest/work-pool-worker.js dist/api/review-page/review.js prompts/call_summary/v1.md; do
  grep -qx "package/$f" <<<"$listing" || { echo "the tarball has no $f"; exit 1; }
done

step "install into an empty folder ($work/app), Node $(node --version)"
mkdir -p "$work/app" && cd "$work/app"
printf '{ "name": "pack-smoke", "private": true, "type": "module" }\n' >package.json
npm install --no-audit --no-fund --prefer-offline --loglevel=error "$tgz"

step "import { AccountHistoryRetriever } from 'hubspot-ai' and retrieve an indexed account's history"
cat >smoke.mjs <<'JS'
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AccountHistoryRetriever, createContainer, loadConfig, silentLogger, startSandbox } from 'hubspot-ai';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsai-pack-'));
const sandbox = await startSandbox({ port: 0, companies: 2, rateLimit: 0 });
const container = createContainer(loadConfig({ DATA_DIR: dataDir, HUBSPOT_BASE_URL: sandbox.url, HUBSPOT_ACCESS_TOKEN: sandbox.token }), silentLogger);
try {
  const portalId = await container.portalId();
  const company = (await (await fetch(`${sandbox.url}/crm/v3/objects/companies?limit=1`, { headers: { authorization: `Bearer ${sandbox.token}` } })).json()).results[0].id;
  const indexed = await (await container.indexer()).reindexAccounts(portalId, [company]);
  assert.ok(indexed.chunksEmbedded > 0, 'the account was indexed');
  const retriever = new AccountHistoryRetriever({ store: await container.store(), embedder: await container.embedder(), portalId, accountId: company, k: 3 });
  const docs = await retriever.invoke('meeting notes and next steps');
  assert.ok(docs.length > 0, 'the retriever found the account history');
  assert.ok(docs.every((d) => d.metadata.accountId === company), 'only that account');
  console.log(`indexed ${indexed.chunksEmbedded} chunks of company ${company}; retrieved ${docs.length}: ${JSON.stringify(docs[0].pageContent.slice(0, 60))}`);
} finally {
  await container.close();
  await sandbox.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
JS
node smoke.mjs

step "types resolve through the exports map"
cat >smoke.mts <<'TS'
import { AccountHistoryRetriever, type AccountHistoryRetrieverInput, type VectorStore } from 'hubspot-ai';
export const make = (o: AccountHistoryRetrieverInput): AccountHistoryRetriever => new AccountHistoryRetriever(o);
export type S = VectorStore;
TS
"$repo/node_modules/.bin/tsc" --noEmit --strict --skipLibCheck --module nodenext --moduleResolution nodenext --types node --typeRoots "$repo/node_modules/@types" smoke.mts

step "the installed command runs the compiled JavaScript"
npx --no-install hubspot-ai --version
npx --no-install hubspot-ai --help >help.txt
head -3 help.txt
# A reader that closes the pipe early (head) is not a crash of the command.
npx --no-install hubspot-ai --help | head -1
step "ok"
