// Load for the domain-change run of bench/proxy, inside a container on the proxy network:
// CONNECTIONS keep-alive HTTPS connections asking GET URL back to back for SECONDS.
//
// What counts as failed: a request that got no 2xx answer. One case is told apart: nginx's
// graceful reload closes idle keep-alive connections, and a request the client wrote into
// one at that very moment meets a reset without being read. HTTP/1.1 lets a client retry an
// idempotent request then (RFC 9112 9.3.1); browsers do, on a new connection, and Node's
// documentation gives the recipe (retry when req.reusedSocket and ECONNRESET). This client
// does the same, once, on a new connection (the other idle ones may be closing too), and
// counts those retries separately. A retry that fails too is a failed request.
import https from 'node:https';

const url = new URL(process.env.URL);
const seconds = Number(process.env.SECONDS ?? 60);
const connections = Number(process.env.CONNECTIONS ?? 10);
const agent = new https.Agent({ keepAlive: true, maxSockets: connections });
const tally = { requests: 0, ok: 0, failed: 0, retriedAfterReset: 0, reasons: {} };

function get(isRetry) {
  return new Promise((resolve) => {
    const req = https.get(url, { agent: isRetry ? false : agent }, (res) => {
      res.resume();
      res.on('end', () => {
        tally.requests++;
        if (res.statusCode >= 200 && res.statusCode < 300) tally.ok++;
        else fail(`HTTP ${res.statusCode}`);
        resolve();
      });
    });
    req.on('error', (err) => {
      if (!isRetry && req.reusedSocket && err.code === 'ECONNRESET') {
        tally.retriedAfterReset++;
        resolve(get(true));
        return;
      }
      tally.requests++;
      fail(`${isRetry ? 'retry: ' : req.reusedSocket ? '' : 'new connection: '}${err.code || err.message}`);
      resolve();
    });
  });
}

function fail(reason) {
  tally.failed++;
  tally.reasons[reason] = (tally.reasons[reason] ?? 0) + 1;
}

const until = Date.now() + seconds * 1000;
async function loop() {
  while (Date.now() < until) await get(false);
}
Promise.all(Array.from({ length: connections }, loop)).then(() => {
  console.log(JSON.stringify(tally));
  agent.destroy();
});
