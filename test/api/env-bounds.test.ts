import t from 'tap';
import { admin, testApp } from './helpers/app.js';

// The env's bounds in the API's bodies (core's ENV_BOUNDS): count, name length and value size,
// refused with the field named before anything reaches the app lifecycle, for the admin token
// and a deploy token alike. (Sizes in bytes and the total are core's, test/unit/env-bounds.)

const HELLO = 'registry.example.com/team/hello:1';
const vars = (n: number, value: string | null = 'x') =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`V${i}`, value]));
const LONG_NAME = `A${'b'.repeat(128)}`;

t.test('POST /v1/apps: at most 100 variables, names of 128 characters, values of 32 KiB', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  const cases: [Record<string, string | null>, { field: string; message: string }][] = [
    [vars(101), { field: 'body.env', message: 'must be a map of at most 100 variables' }],
    [
      { [LONG_NAME]: '1' },
      {
        field: `body.env.${LONG_NAME}`,
        message: 'is not a valid environment variable name (letters, digits and _, at most 128)',
      },
    ],
    [{ BIG: 'x'.repeat(32769) }, { field: 'body.env.BIG', message: 'must be a string of at most 32768 characters' }],
  ];
  for (const [env, error] of cases) {
    const res = await app.inject({ method: 'POST', url: '/v1/apps', headers: admin, payload: { image: HELLO, env } });
    t.equal(res.statusCode, 400, error.field);
    t.same(res.json().errors, [error]);
  }
  t.same(apps.calls, [], 'nothing reached the app lifecycle');
  const ok = await app.inject({
    method: 'POST',
    url: '/v1/apps?wait=true',
    headers: admin,
    payload: { image: HELLO, env: { ...vars(99), [`A${'b'.repeat(127)}`]: 'x'.repeat(32768) } },
  });
  t.equal(ok.statusCode, 201, 'right at the bounds is fine');
});

t.test('PATCH /v1/apps/{name} with a deploy token: the same bounds', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('web');
  const { token } = (
    await app.inject({ method: 'POST', url: '/v1/tokens', headers: admin, payload: { app: 'web' } })
  ).json();
  const ci = { authorization: `Bearer ${token}` };
  const patch = (env: object) => app.inject({ method: 'PATCH', url: '/v1/apps/web', headers: ci, payload: { env } });
  const big = await patch({ BIG: 'x'.repeat(32769) });
  t.equal(big.statusCode, 400);
  t.same(big.json().errors, [
    { field: 'body.env.BIG', message: 'must be a string of at most 32768 characters, or null to remove it' },
  ]);
  const many = await patch({ ...vars(150), ...Object.fromEntries(Object.keys(vars(51)).map((k) => [`R${k}`, null])) });
  t.equal(many.statusCode, 400);
  t.same(many.json().errors, [{ field: 'body.env', message: 'must be a map of at most 200 changes' }]);
  const name = await patch({ [LONG_NAME]: null });
  t.equal(name.statusCode, 400);
  t.match(name.json().errors, [{ field: `body.env.${LONG_NAME}`, message: /at most 128/ }]);
  t.same(apps.calls, [], 'nothing reached the app lifecycle');
  const swap = await patch({
    ...vars(100, null),
    ...Object.fromEntries(Object.keys(vars(100)).map((k) => [`N${k}`, 'y'])),
  });
  t.equal(swap.statusCode, 202, 'removing 100 and setting 100 others in one change is allowed');
});
