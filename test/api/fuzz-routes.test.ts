import t, { type Test } from 'tap';
import { join } from 'node:path';
import fc from 'fast-check';
import { openEvents } from '@minicloud/api';
import { diskSpaceLevels, ERROR_CODES, EventLog, Sensitive } from '@minicloud/core';
import { admin, testApp } from './helpers/app.js';
import { fakeBackups } from './helpers/fake-backups.js';
import { corpus, fuzz } from '../helpers/fuzz/corpus.js';
import { describe } from '../helpers/fuzz/coded.js';
import { hostileValue, oddText } from '../helpers/fuzz/hostile.js';
import { applyMutation, mutation } from '../helpers/fuzz/mutate.js';
import { fromSchema, type Components, type Schema } from '../helpers/fuzz/schema-arb.js';

// Issue 15: every route of the OpenAPI document, fed requests made from its own schema and then
// broken (wrong types, huge and odd text, nulls, prototype keys, deep nesting, extra and missing
// fields, bodies that are not JSON), as the admin, against the fakes. The property: never a
// 5xx, and every 4xx is problem+json with a documented code, naming the fields when the
// request broke the schema; no job the requests start fails with MC_INTERNAL either.
// Corpus: test/fixtures/fuzz/api (one request per file), replayed first.

const CASES_PER_ROUTE = 40;
const OLD_BACKUP = '20260228T030000.000Z';

interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  schema: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Components };
}

/** One request as the corpus keeps it: the body is raw text, so invalid JSON can be kept too. */
interface FuzzRequest {
  method: string;
  url: string;
  contentType?: string;
  body?: string;
}

/** Values a path parameter names that exist in the fakes, so the handlers past the lookup run. */
const KNOWN: Record<string, string[]> = {
  name: ['hello', 'blog'],
  id: [OLD_BACKUP, '1', 'node-1'],
  need: ['database', 'messagebus', 'storage'],
  domain: ['hello.minicloud.localhost', 'shop.example.com'],
};

function requestsFor(doc: OpenApi, method: string, path: string, op: Operation): fc.Arbitrary<FuzzRequest> {
  const components = doc.components.schemas;
  const params = op.parameters ?? [];
  const pathArbs = params
    .filter((p) => p.in === 'path')
    .map((p) =>
      fc
        .oneof(
          { weight: 3, arbitrary: fc.constantFrom(...(KNOWN[p.name] ?? ['x'])) },
          { weight: 1, arbitrary: fromSchema(p.schema, components).map(String) },
          { weight: 2, arbitrary: oddText },
        )
        .map((v) => [p.name, v] as const),
    );
  const queryArbs = params
    .filter((p) => p.in === 'query')
    .map((p) =>
      fc
        .option(fc.oneof(fromSchema(p.schema, components), oddText), { nil: undefined })
        .map((v) => [p.name, v] as const),
    );
  const schema = op.requestBody?.content['application/json']?.schema;
  const valid = schema ? fromSchema(schema, components) : fc.constant({});
  const body = fc.oneof(
    { weight: 3, arbitrary: valid },
    { weight: 4, arbitrary: fc.tuple(valid, mutation).map(([v, m]) => applyMutation(v, m)) },
    { weight: 1, arbitrary: hostileValue },
  );
  const raw = fc.oneof(
    { weight: 8, arbitrary: body.map((b) => ({ contentType: 'application/json', body: JSON.stringify(b) ?? 'null' })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        { contentType: 'application/json', body: '{"a":' },
        { contentType: 'application/json', body: '' },
        { contentType: 'application/json', body: '{"__proto__": {"x": 1}}' },
        { contentType: 'text/plain', body: 'name=x' },
        { contentType: 'application/x-www-form-urlencoded', body: 'name=x&name=y&__proto__[a]=1' },
      ),
    },
  );
  const hasBody = ['POST', 'PUT', 'PATCH'].includes(method);
  return fc.tuple(fc.tuple(...pathArbs), fc.tuple(...queryArbs), hasBody ? raw : fc.constant({})).map(([ps, qs, b]) => {
    let url = path;
    for (const [name, v] of ps) url = url.replace(`{${name}}`, encodeURIComponent(v));
    const query = new URLSearchParams();
    for (const [name, v] of qs) if (v !== undefined) query.append(name, typeof v === 'string' ? v : JSON.stringify(v));
    const q = query.toString();
    return { method, url: q ? `${url}?${q}` : url, ...b };
  });
}

async function setup(t: Test) {
  const dir = t.testdir({});
  const events = await openEvents({
    log: await EventLog.open(join(dir, 'events.jsonl')),
    notifyFile: join(dir, 'notify.json'),
    platform: 'example.com',
  });
  const backups = fakeBackups();
  const built = await testApp({
    events,
    backups,
    diskSpace: {
      read: async () => diskSpaceLevels([{ path: '/data', device: 1, totalBytes: 2 ** 34, freeBytes: 2 ** 30 }]),
    },
    registryHook: { token: new Sensitive('registry-notify-token'), registryAddr: 'registry.example.com' },
    publicUrl: 'https://admin.example.com',
    // apply and diff: the routes' schemas and job are what is fuzzed (the planner has unit tests).
    configApply: {
      apply: async (r) => ({ plan: { prune: r.prune ?? false, apps: [] }, applied: !r.dryRun }),
      diff: async () => [],
    },
  });
  t.teardown(() => built.app.close());
  backups.knows = (name) => built.apps.records.has(name);
  const reseed = () => {
    for (const name of KNOWN['name']!) if (!built.apps.records.has(name)) built.apps.seed(name);
    if (!backups.backups.has('blog') || backups.backups.get('blog')!.length === 0) backups.seed('blog', OLD_BACKUP);
  };
  reseed();
  return { ...built, reseed };
}

function isProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string }): string | undefined {
  if (res.statusCode >= 500) return `answered ${res.statusCode}: ${describe(res.body)}`;
  if (res.statusCode < 400) return undefined;
  if (!String(res.headers['content-type']).startsWith('application/problem+json'))
    return `answered ${res.statusCode} as ${String(res.headers['content-type'])}, not problem+json`;
  const doc = JSON.parse(res.body) as { code?: string; status?: number; detail?: string; errors?: { field: string }[] };
  if (!doc.code || !(doc.code in ERROR_CODES)) return `answered an undocumented code ${describe(doc.code)}`;
  if (doc.status !== res.statusCode) return `answered ${res.statusCode} with status ${doc.status} in the body`;
  if (doc.detail?.startsWith('invalid request') && !doc.errors?.every((e) => typeof e.field === 'string' && e.field))
    return `refused the request without naming each field: ${describe(doc.errors)}`;
  return undefined;
}

t.test('every route, fuzzed from its schema: no 5xx, every 4xx problem+json with a code and the fields', async (t) => {
  const { app, reseed } = await setup(t);
  // Nothing the requests make (a notification test to a fuzzed URL) leaves this process.
  const realFetch = globalThis.fetch;
  globalThis.fetch = () => Promise.reject(new TypeError('fetch failed: no network in the fuzz'));
  t.teardown(() => void (globalThis.fetch = realFetch));

  const send = async (r: FuzzRequest) => {
    reseed();
    const res = await app.inject({
      method: r.method as 'GET',
      url: r.url,
      headers: { ...admin, ...(r.contentType ? { 'content-type': r.contentType } : {}) },
      ...(r.body !== undefined ? { payload: r.body } : {}),
    });
    const problem = isProblem(res);
    if (problem) throw new Error(`${r.method} ${describe(r.url)} ${problem}`);
  };

  for (const f of corpus('api')) {
    const r = JSON.parse(f.text) as FuzzRequest;
    await t.resolves(send(r), `corpus ${f.name}`);
  }

  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as OpenApi;
  let routes = 0;
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(methods)) {
      const method = m.toUpperCase();
      routes++;
      const failure = await fuzz({
        entry: 'api',
        arbitrary: requestsFor(doc, method, path, op),
        numRuns: CASES_PER_ROUTE,
        check: send,
        save: (r) => ({ text: `${JSON.stringify(r, null, 2)}\n`, ext: 'json' }),
      });
      t.equal(failure, undefined, `${method} ${path}: ${CASES_PER_ROUTE} requests`);
    }
  }
  t.ok(routes >= 48, `${routes} routes`);

  // The jobs those requests started: a job may fail with a coded error, never with MC_INTERNAL.
  type Jobs = { jobs: { kind: string; state: string; problem?: { code: string; detail: string } }[] };
  let jobs: Jobs = { jobs: [] };
  for (let i = 0; i < 100; i++) {
    jobs = (await app.inject({ method: 'GET', url: '/v1/jobs', headers: admin })).json() as Jobs;
    if (jobs.jobs.every((j) => j.state !== 'running' && j.state !== 'queued')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  t.ok(jobs.jobs.length > 10, `${jobs.jobs.length} jobs started`);
  const crashed = jobs.jobs.filter((j) => j.problem?.code === 'MC_INTERNAL');
  t.same(crashed, [], 'no job failed with an unexpected error');
});
