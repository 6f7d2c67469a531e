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

function send(res, status, body, type = 'application/json') {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

// GET /page?rows=N: a server-rendered HTML page, the work a typical dynamic page does per
// request (build rows from data, escape every value, join them), so bench/proxy can weigh
// the proxy against an app that does something, not only against an empty answer.
const escapeHtml = (v) =>
  String(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
function page(rows) {
  const items = [];
  for (let i = 0; i < rows; i++) {
    const item = { id: i, name: `Item <${i}> & "co"`, price: ((i * 7919) % 10000) / 100, tags: ['a', 'b', 'c'] };
    items.push(
      `<tr><td>${item.id}</td><td>${escapeHtml(item.name)}</td><td>${item.price.toFixed(2)}</td>` +
        `<td>${item.tags.map(escapeHtml).join(', ')}</td></tr>`,
    );
  }
  return `<!doctype html><html><head><title>hello</title></head><body><table>${items.join('')}</table></body></html>`;
}

const server = http.createServer((req, res) => {
  const [path, query = ''] = (req.url || '/').split('?');
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, '{"error":"method not allowed"}');
  if (path === '/') return send(res, 200, identity);
  if (path === '/page') {
    const rows = Math.min(Number(new URLSearchParams(query).get('rows')) || 100, 10000);
    return send(res, 200, page(rows), 'text/html; charset=utf-8');
  }
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
