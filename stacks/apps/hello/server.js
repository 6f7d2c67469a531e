// Test app for minicloud: tells which version and which container answered,
// so tests can see rolling updates and load spreading. No dependencies.
import http from 'node:http';
import os from 'node:os';

const port = Number(process.env.PORT || 80);
const identity = JSON.stringify({
  app: 'hello',
  version: process.env.APP_VERSION || 'dev',
  hostname: os.hostname(),
});

function send(res, status, body) {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const path = (req.url || '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, '{"error":"method not allowed"}');
  if (path === '/') return send(res, 200, identity);
  // HEALTH_FAIL=1 makes a version that never turns healthy: the tests' failed update.
  if (path === '/health') {
    return process.env.HEALTH_FAIL === '1' ? send(res, 503, '{"status":"failing"}') : send(res, 200, '{"status":"ok"}');
  }
  return send(res, 404, '{"error":"not found"}');
});

server.listen(port, () => console.log(`hello ${identity} listening on :${port}`));

// As PID 1 node has no default SIGTERM action, so without this every stop or
// rolling update would wait out docker's full grace period. Serving on for a moment
// first lets clients that resolved this task just before it left DNS still be answered.
const DRAIN_MS = Number(process.env.DRAIN_MS || 1500);
function shutdown() {
  setTimeout(() => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  }, DRAIN_MS).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
