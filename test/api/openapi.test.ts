import t from 'tap';
import { validate } from '@readme/openapi-parser';
import { ERROR_CODES } from '@minicloud/core';
import { testApp } from './helpers/app.js';

interface Operation {
  summary?: string;
  parameters?: { in: string; name: string; schema?: unknown }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
  security?: unknown[];
}

t.test('the OpenAPI document at /docs/json validates as OpenAPI 3', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/docs/json' });
  t.equal(res.statusCode, 200);
  const doc = res.json();
  t.match(doc.openapi, /^3\./);
  const result = await validate(structuredClone(doc));
  t.same(result, { valid: true, warnings: [], specification: 'OpenAPI' });
});

t.test('every route declares its params, body and responses; errors are problem+json', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
    paths: Record<string, Record<string, Operation>>;
  };
  const expected = [
    'GET /health',
    'GET /v1/apps',
    'POST /v1/apps',
    'GET /v1/apps/{name}',
    'GET /v1/apps/{name}/compose',
    'PATCH /v1/apps/{name}',
    'DELETE /v1/apps/{name}',
    'POST /v1/apps/{name}/needs',
    'POST /v1/apps/{name}/restart',
    'GET /v1/events',
    'GET /v1/platform/notifications',
    'PUT /v1/platform/notifications',
    'DELETE /v1/platform/notifications',
    'POST /v1/platform/notifications/test',
    'POST /v1/registry/events',
    'DELETE /v1/apps/{name}/needs/{need}',
    'POST /v1/apps/{name}/domains',
    'POST /v1/apps/{name}/exec',
    'POST /v1/apps/{name}/exec/sessions',
    'POST /v1/apps/{name}/exec/sessions/{id}/resize',
    'DELETE /v1/apps/{name}/domains/{domain}',
    'GET /v1/apps/{name}/exec/sessions/{id}',
    'GET /v1/apps/{name}/logs',
    'GET /v1/apps/{name}/stats',
    'GET /v1/server',
    'GET /v1/services',
    'GET /v1/platform/disk',
    'POST /v1/services/settle',
    'GET /v1/apps/{name}/webhook',
    'PUT /v1/apps/{name}/webhook',
    'DELETE /v1/apps/{name}/webhook',
    'POST /v1/hooks/{name}',
    'GET /v1/jobs',
    'GET /v1/jobs/{id}',
    'GET /v1/tokens',
    'POST /v1/tokens',
    'DELETE /v1/tokens/{id}',
    'GET /v1/nodes',
    'GET /v1/nodes/join-command',
    'PATCH /v1/nodes/{id}',
    'GET /v1/registry/repositories',
    'GET /v1/registry/tags',
    'POST /v1/stacks',
    'GET /v1/stacks/{name}',
    'DELETE /v1/stacks/{name}',
    'POST /v1/images/manifest',
    'GET /v1/apps/{name}/backups',
    'POST /v1/apps/{name}/backups',
    'POST /v1/apps/{name}/backups/{id}/restore',
    'POST /v1/apps/{name}/backups/{id}/verify',
    'GET /v1/apps/{name}/backups/policy',
    'PUT /v1/apps/{name}/backups/policy',
    'POST /v1/apply',
    'GET /v1/diff',
  ];
  const found: string[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const name = `${method.toUpperCase()} ${path}`;
      found.push(name);
      t.ok(op.summary, `${name} has a summary`);
      for (const p of path.match(/\{[a-z]+\}/g) ?? [])
        t.ok(
          op.parameters?.some((x) => x.in === 'path' && `{${x.name}}` === p && x.schema),
          `${name} declares ${p}`,
        );
      if (['POST', 'PATCH', 'PUT'].includes(method.toUpperCase()) && !/webhook$/.test(path))
        t.ok(op.requestBody?.content['application/json']?.schema, `${name} declares its body`);
      const ok = Object.keys(op.responses).filter((s) => s.startsWith('2'));
      t.ok(ok.length > 0, `${name} declares a success response`);
      if (path !== '/health') {
        for (const s of ['400', '401'])
          t.ok(op.responses[s]?.content?.['application/problem+json'], `${name} documents ${s} as problem+json`);
      }
    }
  }
  t.same(found.sort(), expected.sort(), 'the routes are the documented ones');
  t.same(doc.paths['/v1/hooks/{name}']?.['post']?.security, [], 'the webhook needs no bearer token');
});

t.test('every problem code the API can answer is in the error table', async (t) => {
  const { readFileSync, readdirSync } = await import('node:fs');
  const dir = new URL('../../packages/api/src/', import.meta.url);
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const codes = new Set<string>();
  for (const f of files)
    for (const m of readFileSync(new URL(f, dir), 'utf8').matchAll(/'(MC_[A-Z_]+)'/g)) codes.add(m[1]!);
  t.ok(codes.size > 5);
  for (const code of codes) t.ok(code in ERROR_CODES, `${code} is documented in ERROR_CODES`);
});
