// The committed contract artifacts are exactly what the pinned solc-js makes of the committed
// sources with the fixed settings: a stale artifact or another compiler fails here. Needs no
// network (solc-js is the npm package).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build, SOLC_VERSION, type Artifact } from '../../contracts/build.ts';

test('contracts/artifacts are byte-identical to a fresh compile with the pinned solc', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string> };
  assert.equal(pkg.devDependencies.solc, SOLC_VERSION, 'solc pinned to an exact version');
  assert.equal((createRequire(import.meta.url)('solc/package.json') as { version: string }).version, SOLC_VERSION);
  const files = build();
  assert.ok(files.size >= 3);
  for (const [path, content] of files) {
    assert.equal(readFileSync(path, 'utf8'), content, `${path} is stale: run npx node contracts/build.ts`);
    if (path.endsWith('.json')) {
      const a = JSON.parse(content) as Artifact;
      assert.match(a.bytecode, /^0x[0-9a-f]{200,}$/);
      assert.match(a.deployedBytecode, /^0x[0-9a-f]{200,}$/);
      assert.equal(a.compiler.settings.metadata.appendCBOR, false);
      assert.ok(a.compiler.version.startsWith(`${SOLC_VERSION}+commit.`));
    }
  }
});
