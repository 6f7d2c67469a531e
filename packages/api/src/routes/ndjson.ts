import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

// A long answer streamed as it happens (a followed log, a command's output): one JSON object per
// line (`application/x-ndjson`), through the proxy unbuffered.

/** A blank line now and then keeps a quiet stream open through the proxy's read timeout. */
const HEARTBEAT_MS = 25_000;

/**
 * Sends `items` as NDJSON. The first item (or the first error: an unknown runner, no running task)
 * is awaited before the headers go out, so a bad request still answers with its problem and
 * status. `stop` aborts when the client goes away.
 */
export async function sendNdjson(
  reply: FastifyReply,
  items: AsyncIterable<unknown>,
  stop: AbortController,
): Promise<FastifyReply> {
  reply.request.raw.on('close', () => stop.abort());
  const iterator = items[Symbol.asyncIterator]();
  const first = await iterator.next();
  async function* lines(): AsyncGenerator<string> {
    if (first.done) return;
    yield `${JSON.stringify(first.value)}\n`;
    const heartbeat = setInterval(() => body.push('\n'), HEARTBEAT_MS);
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next())
        yield `${JSON.stringify(next.value)}\n`;
    } finally {
      clearInterval(heartbeat);
    }
  }
  const body = Readable.from(lines(), { objectMode: false });
  body.on('close', () => stop.abort());
  // A stream is piped as it is: a route's 200 schema describes its non-streamed JSON answer.
  return reply
    .type('application/x-ndjson; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-accel-buffering', 'no')
    .send(body as never);
}
