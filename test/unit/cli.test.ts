import t from 'tap';
import { cli } from '../helpers/cli.js';
import yaml from 'js-yaml';

t.test('--help lists the commands', async (t) => {
  const { code, out } = await cli('--help');
  t.equal(code, 0);
  t.match(out, /validate/);
  t.match(out, /compile/);
});

t.test('validate prints ok, or one error per line and exits 1', async (t) => {
  const dir = t.testdir({
    good: { 'cloud_manifest.yml': 'name: app\nexpose: [{proto: http, port: 80}]\n' },
    bad: { 'cloud_manifest.yml': 'name: App\nexpose: [{proto: http, port: 0}]\nneds: []\n' },
  });
  t.same(await cli('validate', `${dir}/good`), { code: 0, out: 'ok\n', err: '' });
  const bad = await cli('validate', `${dir}/bad`);
  t.equal(bad.code, 1);
  t.equal(bad.out, '');
  t.same(bad.err.trim().split('\n'), [
    'neds: is not a known field (did you mean "needs"?)',
    'name: must be a DNS label: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen, at most 40 characters',
    'expose[0].port: must be an integer from 1 to 65535',
  ]);
  t.notMatch(bad.err, /at .*\.js:\d+/, 'no stack trace');
  const missing = await cli('validate', `${dir}/nowhere`);
  t.equal(missing.code, 1);
  t.match(missing.err, /does not exist/);
});

t.test('compile prints the stack YAML; bad settings exit 1 with the errors', async (t) => {
  const dir = t.testdir({ 'cloud_manifest.yml': 'name: app\nexpose: [{proto: http, port: 80}]\n' });
  const ok = await cli(
    'compile',
    dir,
    '--image',
    'reg:5000/app:1',
    '--domain',
    'a.example.com',
    '--domain',
    'b.example.com',
    '--endpoint-mode',
    'dnsrr',
    '--replicas',
    '2',
  );
  t.equal(ok.code, 0, ok.err);
  const doc = yaml.load(ok.out) as {
    services: { web: { deploy: { replicas: number; endpoint_mode: string; labels: Record<string, string> } } };
  };
  t.equal(doc.services.web.deploy.replicas, 2);
  t.equal(doc.services.web.deploy.endpoint_mode, 'dnsrr');
  t.equal(doc.services.web.deploy.labels['minicloud.domains'], 'app.minicloud.localhost,a.example.com,b.example.com');
  const bad = await cli('compile', dir, '--image', 'reg:5000/app:1', '--endpoint-mode', 'ipvs');
  t.equal(bad.code, 1);
  t.match(bad.err, /error \(MC_SETTINGS_INVALID\)/);
  t.match(bad.err, /endpointMode: must be one of: vip, dnsrr/);
  t.equal(bad.out, '');
  const noImage = await cli('compile', dir);
  t.not(noImage.code, 0);
  t.match(noImage.err, /--image/);
});

t.test('app add / need add help: --adopt and --purge-old; app rm: finishing a removal', async (t) => {
  const add = await cli('app', 'add', '--help');
  t.equal(add.code, 0);
  t.match(add.out, /--adopt\s+take over data an earlier app of this name left/);
  t.match(add.out, /--purge-old\s+drop data an earlier app of this name left, then start\s+empty/);
  const need = await cli('app', 'need', 'add', '--help');
  t.match(need.out, /--adopt/);
  t.match(need.out, /--purge-old/);
  const rm = await cli('app', 'rm', '--help');
  t.match(rm.out, /lists as removing\s+until every part is gone; if a step fails, run the same\s+command again/);
  const both = await cli(
    'app',
    'add',
    'shop',
    '--image',
    'r/x:1',
    '--adopt',
    '--purge-old',
    '--server',
    'https://127.0.0.1:9',
    '--token',
    'x',
  );
  t.equal(both.code, 1);
  t.match(both.err, /give --adopt or --purge-old, not both/);
});

t.test('platform disk: each filesystem of the data dir once, with its level and free space', async (t) => {
  const data = t.testdir({ backups: {}, storage: {} });
  const { code, out } = await cli('platform', 'disk', '--data-dir', data);
  t.equal(code, 0);
  t.match(out, /^LEVEL\s+FREE\s+TOTAL\s+PATHS\n(ok|low|critical)\s+[\d.]+ GiB \(\d+%\)\s+[\d.]+ GiB\s+/);
  t.match(out, `${data}, ${data}/backups, ${data}/storage`);
  const json = await cli('platform', 'disk', '--data-dir', data, '--json');
  t.match(JSON.parse(json.out), {
    level: /^(ok|low|critical)$/,
    filesystems: [{ paths: [data, `${data}/backups`, `${data}/storage`] }],
  });
});
