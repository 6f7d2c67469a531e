import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { compileStack, loadManifest } from '@minicloud/core';
import { goldenApps } from '../helpers/golden.js';

// Golden files pin the whole compiled stack of realistic apps. After an intended compiler
// change, regenerate with UPDATE_GOLDEN=1 and review the diff like any other code change.
for (const app of goldenApps()) {
  t.test(`golden stack: ${app.name}`, async (t) => {
    const manifest = await loadManifest(app.dir);
    const { yaml } = compileStack(manifest, app.settings);
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(app.expectedFile)) {
      t.equal(process.env.UPDATE_GOLDEN, '1', `missing ${app.expectedFile}: run with UPDATE_GOLDEN=1`);
      writeFileSync(app.expectedFile, yaml);
    }
    t.equal(yaml, readFileSync(app.expectedFile, 'utf8'));
    t.equal(compileStack(manifest, app.settings).yaml, yaml, 'compiling twice gives byte-identical output');
  });
}
