// Regenerates the repository's genesis.json (the development genesis) from node/dev-genesis.ts.
// `npm test` checks that the committed file matches, so the two cannot drift apart.
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devGenesis } from '../node/dev-genesis.ts';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'genesis.json');
writeFileSync(out, JSON.stringify(devGenesis(), null, 2) + '\n');
console.log(`wrote ${out}`);
