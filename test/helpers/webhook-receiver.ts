import { createServer } from 'node:http';
import type { Test } from 'tap';

// A webhook endpoint for the notification tests: an HTTP server that keeps every JSON POST it
// gets (path, content type, parsed body). Closed with the test.

export interface Received<T> {
  path: string;
  type: string | undefined;
  body: T;
}

/** Listens on `host` (default loopback; the engine tests give the address the test hosts reach). */
export async function webhookReceiver<T = unknown>(
  t: Test,
  host = '127.0.0.1',
): Promise<{ got: Received<T>[]; base: string }> {
  const got: Received<T>[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ path: req.url ?? '', type: req.headers['content-type'], body: JSON.parse(body) as T });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  t.teardown(() => server.close());
  return { got, base: `http://${host}:${(server.address() as { port: number }).port}` };
}
