import t from 'tap';
import {
  AppManager,
  ENV_BOUNDS,
  compileStack,
  formatDetail,
  isMinicloudError,
  manifestFromText,
  Sensitive,
  type AppContext,
  type AppRecord,
} from '@minicloud/core';

// The operator env's bounds, where core takes it (compileStack's settings): what the CLI, the
// API and the admin pages all go through, for admin and deploy tokens alike.

const IMAGE = 'registry.local:5000/app:1';
const web = manifestFromText('name: app\nexpose: [{proto: http, port: 8080}]', 'cloud_manifest.yml');

function errors(env: Record<string, string>): string[] {
  try {
    compileStack(web, { image: IMAGE, env });
  } catch (error) {
    if (isMinicloudError(error) && error.code === 'MC_SETTINGS_INVALID') return error.details.map(formatDetail);
    throw error;
  }
  return [];
}

const vars = (n: number, value = 'x') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`V${i}`, value]));

t.test('at most 100 variables', async (t) => {
  t.same(errors(vars(100)), []);
  t.same(errors(vars(101)), ['env: must be a map of at most 100 variables']);
});

t.test('names of at most 128 characters', async (t) => {
  const ok = `A${'b'.repeat(127)}`;
  const long = `A${'b'.repeat(128)}`;
  t.same(errors({ [ok]: '1' }), []);
  t.same(errors({ [long]: '1' }), [
    `env.${long}: is not a valid environment variable name (letters, digits and _, at most 128)`,
  ]);
});

t.test('values of at most 32 KiB, in characters and in bytes', async (t) => {
  t.same(errors({ A: 'x'.repeat(32768) }), []);
  t.same(errors({ A: 'x'.repeat(32769) }), ['env.A: must be a string of at most 32768 characters']);
  // 11000 euro signs: few enough characters, but 33000 bytes once in the task's environment.
  t.same(errors({ A: '€'.repeat(11000) }), ['env.A: is 33000 bytes; at most 32768']);
});

t.test('256 KiB in all', async (t) => {
  t.same(errors(vars(8, 'x'.repeat(32000))), [], '8 values of 32000 bytes: 250 KiB');
  t.same(errors(vars(9, 'x'.repeat(32000))), ['env: is 282 KiB in all; at most 256 KiB']);
  t.equal(ENV_BOUNDS.maxTotalBytes, 256 * 1024);
});

t.test('an update is held to the bounds with the env it leaves the app, before anything changes', async (t) => {
  const before = {
    name: 'shop',
    image: IMAGE,
    domains: ['shop.minicloud.localhost'],
    envKeys: Object.keys(vars(100)).sort(),
    replicas: 1,
    needs: [],
    manifest: web,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
  } as unknown as AppRecord;
  const writes: string[] = [];
  const ctx = {
    baseDomain: 'minicloud.localhost',
    endpointMode: 'vip',
    dataDir: '/data/minicloud',
    store: {
      secretsDir: '/data/minicloud/secrets/apps',
      read: async () => before,
      readStored: async () => ({ record: before }),
      // The values live with the app's secrets.
      readSecrets: async () => ({
        env: Object.fromEntries(Object.entries(vars(100)).map(([k, v]) => [k, new Sensitive(v)])),
      }),
      write: async (r: AppRecord) => void writes.push(r.name),
      writeSecrets: async () => void writes.push('secrets'),
    },
  } as unknown as AppContext;
  const manager = new AppManager(ctx);
  await t.rejects(manager.update('shop', { env: { EXTRA: '1' } }), {
    code: 'MC_SETTINGS_INVALID',
    details: [{ path: 'env', message: 'must be a map of at most 100 variables' }],
  });
  await t.rejects(manager.update('shop', { env: vars(9, 'y'.repeat(32000)) }), {
    code: 'MC_SETTINGS_INVALID',
    details: [{ path: 'env' }],
  });
  t.same(writes, [], 'nothing written, nothing deployed');
});
