// After `tsc -p tsconfig.build.json`: copies what the compiled JavaScript reads at run time from beside its own
// file (the review page's HTML, CSS and browser scripts, the example policy) from src/ to dist/.
import fs from 'node:fs';
import path from 'node:path';

const SRC = path.resolve('src');
const DIST = path.resolve('dist');
const ASSET = /\.(html|css|js|ya?ml)$/;
let copied = 0;
const walk = (dir: string): void => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (ASSET.test(e.name)) {
      const to = path.join(DIST, path.relative(SRC, p));
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(p, to);
      copied++;
    }
  }
};
walk(SRC);
process.stdout.write(`copied ${copied} assets to dist/\n`);
