import t from 'tap';
import { PassThrough } from 'node:stream';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '@minicloud/cli';
import { platformVersion } from '@minicloud/core';
import { ADMIN_TOKEN, testApp } from './helpers/app.js';
import { cli, cliOn } from './helpers/cli.js';

t.test('minicloud app ... drives a server given by flags, the environment or the config file', async (t) => {
  const { app, apps } = await testApp({ fake: { stepMs: 5 } });
  t.teardown(() => app.close());
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const home = t.testdir({});
  const none = {
    MINICLOUD_SERVER: undefined,
    MINICLOUD_TOKEN: undefined,
    MINICLOUD_CONFIG: join(home, 'none.json'),
    MINICLOUD_DATA_DIR: join(home, 'no-platform'),
  };
  const flags = ['--server', url, '--token', ADMIN_TOKEN];

  const add = await cli(
    none,
    'app',
    'add',
    'shop',
    '--image',
    'registry.example.com/team/shop:1',
    '--domain',
    'shop.example.com',
    '--env',
    'A=1',
    ...flags,
  );
  t.equal(add.code, 0, add.err);
  t.equal(add.out, 'added shop: https://shop.minicloud.localhost/ https://shop.example.com/\n');
  t.match(add.err, /creating the database/, 'job progress goes to stderr');

  const env = { ...none, MINICLOUD_SERVER: url, MINICLOUD_TOKEN: ADMIN_TOKEN };
  const ls = await cli(env, 'app', 'ls');
  t.equal(ls.code, 0, ls.err);
  t.match(
    ls.out,
    /^NAME +HEALTH +RUNNING +IMAGE +URLS\nshop +healthy +1\/1 +registry\.example\.com\/team\/shop:1 +https:\/\/shop/,
  );
  const json = await cli(env, 'app', 'ls', '--json');
  t.match(JSON.parse(json.out), [{ name: 'shop', health: 'healthy' }]);

  const config = join(home, 'config.json');
  writeFileSync(config, JSON.stringify({ server: url, token: ADMIN_TOKEN }));
  const fromFile = { ...none, MINICLOUD_CONFIG: config };
  const show = await cli(fromFile, 'app', 'show', 'shop');
  t.equal(show.code, 0, show.err);
  t.match(show.out, /name: +shop\nimage: +registry\.example\.com\/team\/shop:1\nhealth: +healthy/);
  t.match(show.out, /SERVICE +RUNNING +TASK +STATE +NODE/);

  // Issue 12: each domain's certificate, in the text and in --json as the API gives it.
  const failing = {
    domain: 'shop.example.com',
    issuer: 'platform-ca' as const,
    notAfter: '2027-12-01T00:00:00.000Z',
    lastAttempt: '2026-11-26T10:00:00.000Z',
    lastError: 'DNS for shop.example.com points to 203.0.113.9, not this server (198.51.100.4)',
    nextAttempt: '2026-11-26T10:02:00.000Z',
  };
  const issued = { domain: 'shop.minicloud.localhost', issuer: 'acme' as const, notAfter: '2027-02-24T00:00:00.000Z' };
  apps.certificates.set('shop', [issued, failing]);
  const certs = await cli(fromFile, 'app', 'show', 'shop');
  t.match(certs.out, /DOMAIN +CERTIFICATE +VALID UNTIL +LAST ATTEMPT +NEXT +LAST ERROR\n/);
  t.match(certs.out, /shop\.minicloud\.localhost +acme +2027-02-24T00:00:00\.000Z +- +-/);
  t.match(
    certs.out,
    /shop\.example\.com +platform-ca +2027-12-01T00:00:00\.000Z +2026-11-26T10:00:00\.000Z +2026-11-26T10:02:00\.000Z +DNS for shop\.example\.com points to 203\.0\.113\.9, not this server/,
  );
  t.same(JSON.parse((await cli(fromFile, 'app', 'show', 'shop', '--json')).out).certificates, [issued, failing]);
  apps.certificates.delete('shop');

  const update = await cli(fromFile, 'app', 'update', 'shop', '--replicas', '2', '--env', 'A=');
  t.equal(update.code, 0, update.err);
  t.equal(update.out, 'updated shop: registry.example.com/team/shop:1, 2 replicas\n');
  t.same(apps.records.get('shop')?.envKeys, []);

  const set = await cli(fromFile, 'app', 'env', 'set', 'shop', 'API_KEY=s3cr=t', 'EMPTY=');
  t.equal(set.code, 0, set.err);
  t.equal(set.out, 'shop: set API_KEY, EMPTY\n');
  t.same(apps.records.get('shop')?.envKeys, ['API_KEY', 'EMPTY']);
  const envLs = await cli(fromFile, 'app', 'env', 'ls', 'shop');
  t.equal(envLs.out, 'API_KEY\nEMPTY\n', 'names only');
  t.notMatch(envLs.out + set.out, /s3cr=t/, 'the value is never printed');
  t.same(JSON.parse((await cli(fromFile, 'app', 'env', 'ls', 'shop', '--json')).out), ['API_KEY', 'EMPTY']);
  const unset = await cli(fromFile, 'app', 'env', 'unset', 'shop', 'EMPTY');
  t.equal(unset.out, 'shop: removed EMPTY\n', unset.err);
  t.same(apps.records.get('shop')?.envKeys, ['API_KEY']);
  const badSet = await cli(fromFile, 'app', 'env', 'set', 'shop', 'NOEQUALS');
  t.equal(badSet.code, 1);
  t.match(badSet.err, /"NOEQUALS" must be KEY=value/);
  const badUnset = await cli(fromFile, 'app', 'env', 'unset', 'shop', 'A=1');
  t.match(badUnset.err, /must be a variable name alone/);
  const badName = await cli(fromFile, 'app', 'env', 'set', 'shop', 'not a name=1');
  t.equal(badName.code, 1);
  t.match(badName.err, /MC_BAD_REQUEST.*\n {2}body\.env/, 'the server names the field');
  t.same(apps.records.get('shop')?.envKeys, ['API_KEY'], 'a refused change changes nothing');

  const scaled = await cli(fromFile, 'app', 'scale', 'shop', '3');
  t.equal(scaled.out, 'shop web: 3 replicas\n', scaled.err);
  t.equal(apps.records.get('shop')?.replicas, 3);
  apps.rollBack.add('shop');
  for (const [args, said] of [
    [['update', 'shop', '--image', 'registry.example.com/team/shop:2'], 'the new version failed'],
    [['scale', 'shop', '4', '--runner', 'worker'], '4 replicas of worker failed'],
    [['env', 'set', 'shop', 'B=2'], 'it failed with the new env'],
  ] as const) {
    const failed = await cli(fromFile, 'app', ...args);
    t.equal(failed.out, `rolled back shop: ${said}: web: task exited (exit code 1)\n`, args.join(' '));
  }
  apps.rollBack.delete('shop');
  t.equal(apps.records.get('shop')?.replicas, 3, 'a rolled back change changed nothing');
  const restarted = await cli(fromFile, 'app', 'restart', 'shop');
  t.equal(restarted.out, 'restarted shop: healthy\n', restarted.err);
  const logs = await cli(fromFile, 'app', 'logs', 'shop', '--tail', '2');
  t.match(
    logs.out,
    /^web\.1@mc-mgr 2026-11-26T12:00:00\.000Z GET \/ 200 <request 0>\nweb\.1@mc-mgr \S+ GET \/ 200 <request 1>\n$/,
  );

  const noWait = await cli(fromFile, 'app', 'update', 'shop', '--replicas', '1', '--no-wait', '--json');
  t.match(JSON.parse(noWait.out), { kind: 'app.update', state: /queued|running/ });

  t.equal(
    (await cli(fromFile, 'app', 'domain', 'add', 'shop', 'www.shop.example.com')).out,
    'www.shop.example.com routes to shop\n',
  );
  const domainRm = await cli(fromFile, 'app', 'domain', 'rm', 'shop', 'www.shop.example.com');
  t.equal(domainRm.out, 'www.shop.example.com no longer routes to shop\n', domainRm.err);
  t.equal((await cli(fromFile, 'app', 'need', 'add', 'shop', 'storage')).out, 'shop has its storage\n');
  t.equal(
    (await cli(fromFile, 'app', 'need', 'rm', 'shop', 'storage', '--purge')).out,
    'shop no longer has its storage (data dropped)\n',
  );
  t.equal((await cli(fromFile, 'app', 'rm', 'shop', '--purge')).out, 'removed shop and its data\n');
  t.notOk(apps.records.has('shop'));
});

t.test('API errors print as `error (CODE): message` with the fields; a missing server is explained', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const home = t.testdir({});
  const env = { MINICLOUD_SERVER: url, MINICLOUD_TOKEN: ADMIN_TOKEN, MINICLOUD_CONFIG: join(home, 'none.json') };
  const missing = await cli(env, 'app', 'show', 'ghost');
  t.equal(missing.code, 1);
  t.equal(missing.err, 'error (MC_APP_NOT_FOUND): no app named ghost\n');
  const bad = await cli(env, 'app', 'add', '--image', 'NOT VALID');
  t.equal(bad.code, 1);
  t.match(bad.err, /^error \(MC_BAD_REQUEST\): invalid request body\n {2}body\.image: must be an image reference/);
  const clash = await cli(env, 'app', 'add', '--image', 'registry.example.com/team/hello:1');
  t.equal(clash.code, 0, clash.err);
  const again = await cli(env, 'app', 'add', '--image', 'registry.example.com/team/hello:1');
  t.equal(again.err.split('\n').at(-2), 'error (MC_APP_EXISTS): an app named hello exists already');
  const wrongToken = await cli({ ...env, MINICLOUD_TOKEN: 'nope' }, 'app', 'ls');
  t.equal(wrongToken.err, 'error (MC_UNAUTHORIZED): a valid bearer token is required\n');
  const unreachable = await cli({ ...env, MINICLOUD_SERVER: 'http://127.0.0.1:9' }, 'app', 'ls');
  t.match(unreachable.err, /^error: cannot reach the minicloud API at http:\/\/127\.0\.0\.1:9/);
  // A data dir of the test's own: a platform installed on this machine (/data/minicloud, the
  // default) would otherwise be found and used.
  const nothing = await cli(
    {
      MINICLOUD_SERVER: undefined,
      MINICLOUD_TOKEN: undefined,
      MINICLOUD_CONFIG: join(home, 'none.json'),
      MINICLOUD_DATA_DIR: join(home, 'no-platform'),
    },
    'app',
    'ls',
  );
  t.match(nothing.err, /^error: no minicloud server configured: pass --server URL --token TOKEN/);
  t.notMatch(wrongToken.err + missing.err, new RegExp(ADMIN_TOKEN));
});

t.test("an app's log lines and task errors cannot drive the operator's terminal", async (t) => {
  // What a hostile tenant writes: a carriage return over the platform's prefix, a window title,
  // a clipboard write (OSC 52), a C1 control.
  const hostile =
    'ok\rweb.9@forged 2026-01-01T00:00:00Z admin logged in\u001b]0;pwned\u0007\u001b]52;c;ZXZpbA==\u0007\u009b2J';
  const line = {
    time: '2026-11-26T12:00:00Z',
    service: 'web',
    task: 'web.1',
    node: 'mc-mgr',
    stream: 'stdout' as const,
  };
  const { app, apps } = await testApp({
    logs: {
      appLogs: async () => [{ ...line, line: hostile }],
      followLogs: async function* () {
        yield { ...line, line: hostile };
      },
    },
  });
  t.teardown(() => app.close());
  apps.seed('evil');
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const home = t.testdir({});
  const env = { MINICLOUD_SERVER: url, MINICLOUD_TOKEN: ADMIN_TOKEN, MINICLOUD_CONFIG: join(home, 'none.json') };
  for (const follow of [[], ['--follow']]) {
    const logs = await cli(env, 'app', 'logs', 'evil', ...follow);
    t.equal(logs.code, 0, logs.err);
    t.equal(
      logs.out,
      'web.1@mc-mgr 2026-11-26T12:00:00Z ok\\x0dweb.9@forged 2026-01-01T00:00:00Z admin logged in\\x1b]0;pwned\\x07\\x1b]52;c;ZXZpbA==\\x07\\x9b2J\n',
      `${follow.join(' ') || 'read'}: one line, its controls shown, not obeyed`,
    );
  }
  const json = await cli(env, 'app', 'logs', 'evil', '--json');
  t.equal(JSON.parse(json.out).line, hostile, '--json keeps the text exact (JSON escapes it)');
});

t.test(
  'minicloud app stats: a table of the tasks in human units, --json as the API answers, errors by field',
  async (t) => {
    const { app, apps, stats } = await testApp();
    t.teardown(() => app.close());
    apps.seed('shop');
    apps.records.get('shop')!.replicas = 2;
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const home = t.testdir({});
    const env = { MINICLOUD_SERVER: url, MINICLOUD_TOKEN: ADMIN_TOKEN, MINICLOUD_CONFIG: join(home, 'none.json') };
    const out = await cli(env, 'app', 'stats', 'shop');
    t.equal(out.code, 0, out.err);
    t.equal(
      out.out,
      'TASK   NODE    CPU    MEMORY / LIMIT       NET IN / OUT       RESTARTS\n' +
        'web.1  mc-mgr  12.5%  40.0 MiB / 64.0 MiB  1.4 MiB / 3.1 MiB  0\n' +
        'web.2  mc-mgr  13.5%  41.0 MiB / 64.0 MiB  1.4 MiB / 3.1 MiB  1\n',
    );
    const json = JSON.parse((await cli(env, 'app', 'stats', 'shop', '--json')).out);
    t.match(json, { app: 'shop', tasks: [{ task: 'web.1', cpuPercent: 12.5 }, { task: 'web.2' }] });
    t.equal(json.history.length, 60);
    const runner = await cli(env, 'app', 'stats', 'shop', '--runner', 'cron');
    t.equal(runner.code, 1);
    t.match(runner.err, /^error \(MC_RUNNER_NOT_FOUND\): app shop has no runner cron\n {2}runner: must be one of web/);
    stats.failing.add('shop');
    t.match((await cli(env, 'app', 'stats', 'shop')).err, /^error \(MC_ENGINE\): read the stats of shop/);
  },
);

t.test('minicloud app stats: a task without figures shows why, its text made printable', async (t) => {
  const { app, apps } = await testApp({
    stats: {
      appStats: async () => ({
        tasks: [{ service: 'web', task: 'web.1', node: 'mc-w1', restarts: 3, error: 'gone\u001b]0;pwned\u0007' }],
        history: [],
      }),
      serverFigures: async () => ({ at: '', nodes: [] }),
    },
  });
  t.teardown(() => app.close());
  apps.seed('shop');
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const home = t.testdir({});
  const env = { MINICLOUD_SERVER: url, MINICLOUD_TOKEN: ADMIN_TOKEN, MINICLOUD_CONFIG: join(home, 'none.json') };
  const out = await cli(env, 'app', 'stats', 'shop');
  t.match(out.out, /\nweb\.1 +mc-w1 +error: gone\\x1b\]0;pwned\\x07 +- +- +3\n$/);
});

t.test('minicloud app exec: output to stdout and stderr by line, the exit code as its own', async (t) => {
  const hostile = 'ok\rweb.9@forged \u001b]0;pwned\u0007';
  const { app, apps } = await testApp({
    exec: {
      exec: async function* (_app, command) {
        yield { kind: 'started', task: 'web.2', node: 'mc-w1' };
        yield { kind: 'output', stream: 'stdout', text: 'line one\nline ' };
        yield { kind: 'output', stream: 'stderr', text: 'warning\n' };
        yield { kind: 'output', stream: 'stdout', text: `two\n${hostile}` };
        yield { kind: 'exit', exitCode: Number(command[1]) };
      },
      open: async () => {
        throw new Error('not in this test');
      },
    },
  });
  t.teardown(() => app.close());
  apps.seed('shop');
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const env = {
    MINICLOUD_SERVER: url,
    MINICLOUD_TOKEN: ADMIN_TOKEN,
    MINICLOUD_CONFIG: join(t.testdir({}), 'none.json'),
  };
  const piped = await cli(env, 'app', 'exec', 'shop', '--', 'exit', '7');
  t.equal(piped.code, 7, "the command's exit code");
  t.equal(piped.out, `line one\nline two\n${hostile}\n`, 'to a pipe the text is as it is');
  t.equal(piped.err, 'warning\n');
  const tty = await cliOn(true, env, 'app', 'exec', 'shop', '--', 'exit', '0');
  t.equal(tty.code, 0);
  t.equal(tty.out, 'line one\nline two\nok\\x0dweb.9@forged \\x1b]0;pwned\\x07\n', 'on a terminal, shown not obeyed');
  const json = await cli(env, 'app', 'exec', 'shop', '--json', '--', 'exit', '2');
  t.equal(json.code, 2);
  t.same(
    json.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
    [
      { task: 'web.2', node: 'mc-w1' },
      { stream: 'stdout', text: 'line one\nline ' },
      { stream: 'stderr', text: 'warning\n' },
      { stream: 'stdout', text: `two\n${hostile}` },
      { exitCode: 2 },
    ],
  );
  const missing = await cli(env, 'app', 'exec', 'nope', '--', 'ls');
  t.equal(missing.code, 1);
  t.match(missing.err, /MC_APP_NOT_FOUND/);
});

t.test('minicloud app exec -it: a terminal both ways, the end of input as Ctrl-D, the exit code after', async (t) => {
  const { app, apps, exec } = await testApp();
  t.teardown(() => app.close());
  apps.seed('shop');
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const env = {
    MINICLOUD_SERVER: url,
    MINICLOUD_TOKEN: ADMIN_TOKEN,
    MINICLOUD_CONFIG: join(t.testdir({}), 'none.json'),
  };
  const input = new PassThrough();
  const output = Object.assign(new PassThrough(), { rows: 40, columns: 120 });
  let shown = '';
  output.on('data', (c: Buffer) => (shown += c.toString()));
  input.end('ls /data\n');
  const saved = { ...process.env };
  t.teardown(() => void (process.env = saved));
  Object.assign(process.env, env);
  const code = await run(['node', 'minicloud', 'app', 'exec', '-it', 'shop', '--', 'sh', '5'], {
    out: () => undefined,
    err: (s) => t.fail(s),
    terminal: { input, output },
  });
  t.equal(code, 5, "the command's exit code, read once its terminal closed");
  t.equal(shown, 'LS /DATA\n', 'what was typed reached it; what it wrote came back');
  t.same(exec.calls, ['shop: -it sh 5']);
  t.same(exec.resizes, ['40x120'], 'the terminal starts at the local size');

  const half = await cli(env, 'app', 'exec', '-i', 'shop', '--', 'sh');
  t.equal(half.code, 1);
  t.match(half.err, /-i and -t go together/);
});

t.test("minicloud version: the CLI's version, and the configured server's from GET /health", async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const home = t.testdir({});
  const none = {
    MINICLOUD_SERVER: undefined,
    MINICLOUD_TOKEN: undefined,
    MINICLOUD_CONFIG: join(home, 'none.json'),
    MINICLOUD_DATA_DIR: join(home, 'no-platform'),
  };
  const version = platformVersion();
  const alone = await cli(none, 'version');
  t.same([alone.code, alone.out], [0, `client ${version}\n`], 'no server configured: the client only');
  const both = await cli({ ...none, MINICLOUD_SERVER: url, MINICLOUD_TOKEN: ADMIN_TOKEN }, 'version');
  t.same([both.code, both.out], [0, `client ${version}\nserver ${version} (${url})\n`]);
  const json = await cli(none, 'version', '--json', '--server', url, '--token', ADMIN_TOKEN);
  t.same(JSON.parse(json.out), { client: version, server: { url, version } });
  const gone = await cli(none, 'version', '--server', 'http://127.0.0.1:1', '--token', ADMIN_TOKEN);
  t.equal(gone.code, 1, 'an unreachable server is an error');
  t.equal(gone.out, `client ${version}\n`, "after the client's version");
  t.match(gone.err, /cannot reach the minicloud API at http:\/\/127\.0\.0\.1:1/);
});
