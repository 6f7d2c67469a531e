import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { cli } from '../helpers/cli.js';
import { engineEnv } from '../helpers/engine.js';

// The CLI over the real swarm: the same core calls, seen as a user sees them.
const env = engineEnv();
process.env['DOCKER_HOST'] = env.dockerHost;

const dir = mkdtempSync(join(tmpdir(), 'minicloud-cli-'));
// No platform here: a minicloud installed on this machine (/data/minicloud, the default) is
// not the test swarm's, and must be neither found nor read.
process.env['MINICLOUD_DATA_DIR'] = join(dir, 'no-platform');
const file = join(dir, 'docker-compose.yml');
writeFileSync(
  file,
  `version: "3.8"
services:
  web:
    image: ${env.registry}/hello:\${HELLO_TAG:-1}
    env_file: [web.env]
    deploy:
      endpoint_mode: ${env.endpointMode}
`,
);
writeFileSync(join(dir, 'web.env'), 'GREETING=hi from the env file\n');

t.teardown(async () => {
  await cli('stack', 'rm', 'mc-cli');
});

t.test('stack deploy --dry-run, deploy, ps, rm', async (t) => {
  const dry = await cli('stack', 'deploy', '-c', file, 'mc-cli', '--dry-run');
  t.equal(dry.code, 0, dry.err);
  t.same(dry.out.trim().split('\n'), ['create    network mc-cli_default', 'create    service mc-cli_web']);

  process.env['HELLO_TAG'] = '2';
  const deployed = await cli('stack', 'deploy', '-c', file, 'mc-cli');
  delete process.env['HELLO_TAG'];
  t.equal(deployed.code, 0, deployed.err);
  t.match(deployed.out, 'mc-cli_web: 1/1 running');

  const ps = await cli('stack', 'ps', 'mc-cli', '--json');
  const services = JSON.parse(ps.out) as { name: string; image: string; running: number }[];
  t.equal(services[0]?.image, `${env.registry}/hello:2`, 'the variable was substituted from the environment');
  const table = await cli('stack', 'ps', 'mc-cli');
  t.match(table.out, /^ID\s+SERVICE\s+IMAGE\s+NODE\s+DESIRED\s+CURRENT/m);
  t.match(table.out, /mc-cli_web .* running\s+running/);

  const rm = await cli('stack', 'rm', 'mc-cli');
  t.equal(rm.code, 0);
  t.match(rm.out, 'removed mc-cli_web');
  const again = await cli('stack', 'rm', 'mc-cli');
  t.equal(again.code, 1);
  t.match(again.err, 'error (MC_STACK_NOT_FOUND)');
});

t.test('a compose file with an unsupported key is refused, naming it', async (t) => {
  const bad = join(dir, 'bad.yml');
  writeFileSync(bad, `version: "3.8"\nservices:\n  web:\n    image: x\n    build: .\n    depends_on: [db]\n`);
  const res = await cli('stack', 'deploy', '-c', bad, 'mc-cli-bad');
  t.equal(res.code, 1);
  t.match(res.err, /error \(MC_COMPOSE_INVALID\)/);
  t.match(res.err, /services\.web\.build: is not supported by stack deploy/);
  t.match(res.err, /services\.web\.depends_on/);
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

t.test('node ls, node join-command, manifest', async (t) => {
  const ls = await cli('node', 'ls');
  t.match(ls.out, /^ID\s+HOSTNAME\s+ROLE\s+STATE\s+AVAILABILITY\s+ADDRESS\s+LABELS/);
  t.match(ls.out, /manager\s+ready\s+active/);
  t.match(
    ls.out,
    new RegExp(`mc-w1\\s+worker\\s+ready\\s+active\\s+${escape(env.workerAddr)}\\s+minicloud\\.test=worker1`),
  );
  const join = await cli('node', 'join-command');
  t.match(join.out, new RegExp(`^docker swarm join --token SWMTKN-\\S+ ${escape(env.swarmAddr)}:2377$`, 'm'));
  const manifest = await cli('manifest', `${env.registry}/hello:1`);
  t.equal(manifest.code, 0, manifest.err);
  t.match(manifest.out, /^name: hello$/m);
  const missing = await cli('manifest', 'minicloud/node:20');
  t.equal(missing.code, 1);
  t.match(missing.err, 'error (MC_MANIFEST_NOT_FOUND)');
});
