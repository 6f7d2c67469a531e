import t from 'tap';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { probeOnce, TaskProber, type ProbeTarget } from '@minicloud/core';

// The platform's readiness probe of a starting task: one attempt against real sockets, and the
// bounded loop around it with the attempt faked.

async function listening(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

const at = (port: number, path?: string): ProbeTarget => ({
  task: 't1',
  service: 'shop_web',
  address: '127.0.0.1',
  port,
  ...(path !== undefined ? { path } : {}),
});

t.test('one attempt: GET of the healthcheck path, 2xx or 3xx is ready; else a TCP connect', async (t) => {
  const seen: { path?: string; host?: string }[] = [];
  const http = createHttpServer((req, res) => {
    seen.push({ path: req.url, host: req.headers.host });
    const status = req.url === '/up' ? 200 : req.url === '/moved' ? 302 : req.url === '/slow' ? 0 : 503;
    if (status === 0) return; // never answers
    res.writeHead(status, status === 302 ? { location: '/up' } : {}).end('x');
  });
  const port = await listening(http);
  t.teardown(() => {
    http.closeAllConnections();
    http.close();
  });
  t.equal(await probeOnce(at(port, '/up'), 1000), true, '200');
  t.equal(await probeOnce(at(port, '/moved'), 1000), true, '302');
  t.equal(await probeOnce(at(port, '/health?deep=1'), 1000), false, '503');
  const started = Date.now();
  t.equal(await probeOnce(at(port, '/slow'), 200), false, 'no answer within the timeout');
  t.ok(
    Date.now() - started < 5000,
    'gives up at its timeout (the bound leaves room for a starved CPU; no answer ever comes)',
  );
  t.same(seen[0], { path: '/up', host: `127.0.0.1:${port}` }, 'the path as written, the Host of a check on loopback');

  const tcp = createTcpServer((socket) => socket.destroy());
  const tcpPort = await listening(tcp);
  t.teardown(() => tcp.close());
  t.equal(await probeOnce(at(tcpPort), 1000), true, 'no path: a TCP connect that succeeds');
  const closed = createTcpServer();
  const closedPort = await listening(closed);
  await new Promise((r) => closed.close(r));
  t.equal(await probeOnce(at(closedPort), 1000), false, 'connection refused');
  t.equal(await probeOnce(at(closedPort, '/up'), 1000), false, 'connection refused on http');
});

const target = (task: string, service = 'shop_web'): ProbeTarget => ({ task, service, address: '10.0.0.1', port: 80 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('prober: attempts a few times a second until the task answers, then tells and stops', async (t) => {
  const attempts = new Map<string, number>();
  let answering = false;
  const told: string[] = [];
  const prober = new TaskProber({
    everyMs: 10,
    probe: async (p) => {
      attempts.set(p.task, (attempts.get(p.task) ?? 0) + 1);
      return answering;
    },
    onReady: (task) => told.push(task),
  });
  t.teardown(() => prober.stop());
  prober.watch([target('a')], ['shop_web']);
  await sleep(100);
  t.ok((attempts.get('a') ?? 0) >= 3, `tried again and again: ${attempts.get('a')}`);
  t.same([...prober.ready()], [], 'not ready before it answers');
  answering = true;
  await sleep(30);
  t.same([...prober.ready()], ['a']);
  t.same(told, ['a'], 'told once');
  const after = attempts.get('a');
  await sleep(40);
  t.equal(attempts.get('a'), after, 'no attempt after it answered');
  prober.watch([target('a')], ['shop_web']);
  await sleep(30);
  t.equal(attempts.get('a'), after, 'watching it again does not start over');
  t.same([...prober.ready()], ['a'], 'and it stays ready while it starts');
});

t.test('prober: a task the engine moved on is forgotten; other services are left alone', async (t) => {
  const attempts = new Map<string, number>();
  const prober = new TaskProber({
    everyMs: 10,
    probe: async (p) => {
      attempts.set(p.task, (attempts.get(p.task) ?? 0) + 1);
      return p.task === 'b';
    },
  });
  t.teardown(() => prober.stop());
  prober.watch([target('a'), target('b'), target('c', 'blog_web')], ['shop_web', 'blog_web']);
  await sleep(40);
  t.same([...prober.ready()], ['b']);
  prober.watch([], ['shop_web']); // shop's tasks are running or gone; blog was not looked at
  t.same([...prober.ready()], [], 'a passed task no longer starting is forgotten');
  t.same(prober.probing(), ['c'], "the other service's task is still probed");
  const a = attempts.get('a');
  await sleep(40);
  t.equal(attempts.get('a'), a, 'no attempt at a task no longer watched');
  t.ok((attempts.get('c') ?? 0) > 2);
});

t.test('prober: bounded: gives up after its time, attempts never overlap', async (t) => {
  let inFlight = 0;
  let overlapped = false;
  let attempts = 0;
  const prober = new TaskProber({
    everyMs: 1,
    giveUpMs: 80,
    probe: async () => {
      attempts++;
      if (++inFlight > 1) overlapped = true;
      await sleep(15);
      inFlight--;
      return false;
    },
  });
  t.teardown(() => prober.stop());
  prober.watch([target('a')], ['shop_web']);
  await sleep(150);
  t.same(prober.probing(), [], 'given up: left to the engine');
  t.notOk(overlapped, 'one attempt at a time');
  const done = attempts;
  t.ok(done >= 2 && done <= 8, `about one attempt per attempt time until then: ${done}`);
  await sleep(40);
  t.equal(attempts, done, 'none after giving up');
  prober.watch([target('a')], ['shop_web']);
  await sleep(40);
  t.equal(attempts, done, 'and none when it is named again while still starting');
});

t.test('prober: stop ends every loop', async (t) => {
  let attempts = 0;
  const prober = new TaskProber({
    everyMs: 5,
    probe: async () => {
      attempts++;
      return false;
    },
  });
  prober.watch([target('a'), target('b')], ['shop_web']);
  await sleep(20);
  prober.stop();
  const n = attempts;
  await sleep(30);
  t.equal(attempts, n);
  t.same(prober.probing(), []);
});

t.test('prober: a cap on attempts in flight over every task; each task still gets its turn', async (t) => {
  let inFlight = 0;
  let most = 0;
  const tried = new Set<string>();
  const prober = new TaskProber({
    everyMs: 1,
    maxConcurrent: 4,
    probe: async (target) => {
      tried.add(target.task);
      most = Math.max(most, ++inFlight);
      await sleep(10);
      inFlight--;
      return target.task.endsWith('7');
    },
  });
  t.teardown(() => prober.stop());
  const many = Array.from({ length: 20 }, (_, i) => target(`t${i}`));
  prober.watch(many, ['shop_web']);
  await sleep(200);
  t.ok(most <= 4, `at most 4 at once (saw ${most})`);
  t.equal(most, 4, 'and the cap is used');
  t.equal(tried.size, 20, 'every task was tried');
  t.same([...prober.ready()].sort(), ['t17', 't7']);
});
