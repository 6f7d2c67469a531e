import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { ExecSessions } from './exec-sessions.js';

// The terminal of `app exec -it`: `POST /v1/exec/attach` with `Upgrade: tcp` and the session id
// in X-Minicloud-Exec-Session (as Docker's own exec start hijacks its connection). The API
// answers 101 and from then on passes bytes both ways between the client and the exec in the
// app's task (through the node's agent) until either side closes. Any other upgrade request
// is refused: the API serves no WebSocket or other upgrade.

export const ATTACH_PATH = '/v1/exec/attach';
export const SESSION_HEADER = 'x-minicloud-exec-session';

function refuse(socket: Duplex, status: string, message: string): void {
  const body = JSON.stringify({ code: 'MC_BAD_REQUEST', detail: message });
  socket.end(
    `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/problem+json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export function serveExecAttach(server: Server, sessions: ExecSessions, log: FastifyBaseLogger): void {
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    if (path !== ATTACH_PATH || req.method !== 'POST' || req.headers.upgrade?.toLowerCase() !== 'tcp') {
      return refuse(socket, '400 Bad Request', `no upgrade here but POST ${ATTACH_PATH} with Upgrade: tcp`);
    }
    const id = req.headers[SESSION_HEADER];
    const session = typeof id === 'string' ? sessions.take(id) : undefined;
    if (!session) {
      log.warn({ path, reason: 'no such exec session' }, 'exec attach refused');
      return refuse(socket, '404 Not Found', 'no exec session of that id waits to be attached (they last 30 s, once)');
    }
    session.attach().then(
      (engine) => {
        socket.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
        if (head.length > 0) engine.write(head);
        const close = () => {
          socket.destroy();
          engine.destroy();
        };
        engine.on('error', close);
        socket.on('error', close);
        engine.on('close', close);
        socket.on('close', close);
        socket.pipe(engine);
        engine.pipe(socket);
        log.info({ task: session.task, node: session.node }, 'exec attached');
      },
      (error: Error) => refuse(socket, '502 Bad Gateway', error.message),
    );
  });
}
