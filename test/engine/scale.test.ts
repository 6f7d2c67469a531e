import t from 'tap';
import { api, DATA, INSTALL, REPO, sh } from '../helpers/platform.js';

// Issue 15, "Scale": bench/scale's smaller, bounded run (12 apps on one node; the 100-app run
// is `npm run bench:scale`). The 50 readers while apps change are not here yet: with the two-call
// listing and its reuse, reads while an add deploys still took up to 4-6 s (p50 1.2 s, each
// reader every 5 s); what holds them is not found yet.
const APPS = 11; // the bench adds one more, timed to its first 200

/** Removes every scale-* app, whichever run left it (a run cut short leaves its apps). */
async function removeScaleApps(): Promise<void> {
  const list = (await api('GET', '/v1/apps')).json as { apps?: { name: string }[] };
  for (const app of list.apps ?? [])
    if (app.name.startsWith('scale-')) await api('DELETE', `/v1/apps/${app.name}?wait=true&purge=true`);
}

t.before(async () => {
  const install = await sh('bash', INSTALL, { timeout: 900_000 });
  if (install.code !== 0) throw new Error(`install.sh failed: ${install.stderr.slice(-3000)}`);
  await removeScaleApps();
});

t.teardown(removeScaleApps);

t.test(`bench/scale: ${APPS + 1} apps through the API, each figure printed`, async (t) => {
  const bench = await sh('node', [`${REPO}/bench/scale/run.js`, `--apps=${APPS}`, '--keep'], {
    timeout: 1_500_000,
    env: { MINICLOUD_TEST_DATA_DIR: DATA },
  });
  t.comment(bench.stdout.trim());
  // A figure for people, not a pass/fail of this suite (exit 1: a target missed).
  t.ok(bench.code === 0 || bench.code === 1, `it ran to the end: exit ${bench.code} ${bench.stderr.slice(-2000)}`);
  for (const figure of [
    /one more app add to its first 200\s+[\d.]+ s/,
    /proxy config\s+\d+ KiB in \d+ files/,
    /GET \/v1\/apps p95\s+\d+ ms/,
    /per app over the first \d+ .*\s+-?[\d.]+ MiB/,
    /the API's CPU with nothing changing \(30 s\)\s+[\d.]+ % of a core/,
  ])
    t.match(bench.stdout, figure);
  const list = (await api('GET', '/v1/apps')).json as { apps: { name: string; health: string }[] };
  const scale = list.apps.filter((a) => a.name.startsWith('scale-'));
  t.equal(scale.length, APPS + 1, 'every app is listed');
  t.same(
    scale.filter((a) => a.health !== 'healthy').map((a) => a.name),
    [],
    'and healthy',
  );
});
