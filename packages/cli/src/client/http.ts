import { ERROR_CODES, MinicloudError, type ErrorCode, type Sensitive } from '@minicloud/core';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { request as httpsRequest } from 'node:https';
import type { ServerConfig } from './config.js';

// A small client of the minicloud REST API (JSON in and out, over node:http(s) so that a
// platform's own CA can be trusted and its proxy reached on the manager's own address). Problems come back as the
// same coded errors core throws, so the CLI prints `error (CODE): message` whether it ran the
// logic itself or asked a server.

export interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: { field: string; message: string }[];
}

export interface Job {
  id: string;
  kind: string;
  app?: string;
  /** interrupted: the API stopped under it (a restart); its problem names the step it reached. */
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'interrupted';
  progress: { at: string; step: string }[];
  result?: unknown;
  problem?: Problem;
}

export function problemError(problem: Problem): Error {
  const details = (problem.errors ?? []).map((e) => ({ path: e.field, message: e.message }));
  if (problem.code in ERROR_CODES) return new MinicloudError(problem.code as ErrorCode, problem.detail, details);
  return new Error(`${problem.detail} (${problem.code}, HTTP ${problem.status})`);
}

export class ApiClient {
  readonly server: string;
  readonly #token: Sensitive<string>;

  readonly #ca: string | undefined;
  readonly #connectTo: string | undefined;

  constructor(config: Pick<ServerConfig, 'server' | 'token' | 'ca' | 'connectTo'>) {
    this.server = config.server.replace(/\/+$/, '');
    this.#token = config.token;
    this.#ca = config.ca;
    this.#connectTo = config.connectTo;
  }

  /** Opens one HTTP exchange; `onResponse` gets the response as soon as its headers arrive. */
  #open(
    method: string,
    path: string,
    body: string | undefined,
    onResponse: (res: IncomingMessage) => void,
    extraHeaders: Record<string, string> = {},
  ) {
    const url = new URL(`${this.server}${path}`);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      {
        host: this.#connectTo ?? url.hostname,
        port: url.port || (url.protocol === 'https:' ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        method,
        servername: url.hostname,
        ...(this.#ca ? { ca: this.#ca } : {}),
        headers: {
          host: url.host,
          authorization: `Bearer ${this.#token.reveal()}`,
          accept: 'application/json',
          ...extraHeaders,
          ...(body !== undefined
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
            : {}),
        },
      },
      onResponse,
    );
    if (body !== undefined) req.write(body);
    req.end();
    return req;
  }

  /** One HTTP exchange: the status and the body text. */
  #send(method: string, path: string, body: string | undefined): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = this.#open(method, path, body, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
  }

  /**
   * A streamed answer of one JSON object per line (`?follow=true`, an exec), each passed to
   * `onItem` as it arrives; resolves when the server ends it or `signal` aborts. Errors come as
   * problems.
   */
  async stream<T>(
    path: string,
    onItem: (item: T) => void,
    signal?: AbortSignal,
    send: { method: string; body?: unknown } = { method: 'GET' },
  ): Promise<void> {
    const { method } = send;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = this.#open(method, path, send.body === undefined ? undefined : JSON.stringify(send.body), resolve);
      req.on('error', (error) =>
        reject(
          signal?.aborted ? error : new Error(`cannot reach the minicloud API at ${this.server}: ${error.message}`),
        ),
      );
      signal?.addEventListener('abort', () => req.destroy(), { once: true });
    });
    if ((res.statusCode ?? 0) >= 400) {
      let text = '';
      for await (const chunk of res) text += String(chunk);
      const p = (() => {
        try {
          return JSON.parse(text) as Partial<Problem>;
        } catch {
          return undefined;
        }
      })();
      throw problemError({
        status: res.statusCode ?? 0,
        code: p?.code ?? `HTTP_${res.statusCode}`,
        detail: p?.detail ?? `${method} ${path} failed with HTTP ${res.statusCode}`,
        ...(p?.errors ? { errors: p.errors } : {}),
      });
    }
    res.setEncoding('utf8');
    let pending = '';
    try {
      for await (const chunk of res) {
        pending += String(chunk);
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) if (line.trim() !== '') onItem(JSON.parse(line) as T);
      }
    } catch (error) {
      if (!signal?.aborted) throw error;
    }
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    let res: { status: number; text: string };
    try {
      res = await this.#send(method, path, body === undefined ? undefined : JSON.stringify(body));
    } catch (error) {
      throw new Error(`cannot reach the minicloud API at ${this.server}: ${(error as Error).message}`);
    }
    const text = res.text;
    let parsed: unknown = undefined;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new Error(`${method} ${path}: the server answered HTTP ${res.status} with something that is not JSON`);
      }
    }
    if (res.status >= 400) {
      const p = parsed as Partial<Problem> | undefined;
      throw problemError({
        status: res.status,
        code: p?.code ?? `HTTP_${res.status}`,
        detail: p?.detail ?? `${method} ${path} failed with HTTP ${res.status}`,
        ...(p?.errors ? { errors: p.errors } : {}),
      });
    }
    return { status: res.status, body: parsed as T };
  }

  get<T>(path: string) {
    return this.request<T>('GET', path).then((r) => r.body);
  }

  /**
   * `POST path` with `Upgrade: tcp` (as Docker's exec start): the connection itself once the
   * server answers 101; its problem as an error otherwise.
   */
  upgrade(path: string, headers: Record<string, string>): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const req = this.#open(
        'POST',
        path,
        undefined,
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            const p = (() => {
              try {
                return JSON.parse(text) as Partial<Problem>;
              } catch {
                return undefined;
              }
            })();
            reject(
              problemError({
                status: res.statusCode ?? 0,
                code: p?.code ?? `HTTP_${res.statusCode}`,
                detail: p?.detail ?? `POST ${path}: no upgrade (HTTP ${res.statusCode})`,
              }),
            );
          });
        },
        { ...headers, connection: 'Upgrade', upgrade: 'tcp' },
      );
      req.on('upgrade', (_res, socket, head) => {
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
      });
      req.on('error', (error) =>
        reject(new Error(`cannot reach the minicloud API at ${this.server}: ${error.message}`)),
      );
    });
  }

  /**
   * Follows a job to its end with long polls (each answers within 30 s, so no proxy times out),
   * reporting each new progress line; returns the result, or throws the job's problem.
   */
  async waitJob(job: Job, onProgress: (step: string) => void = () => undefined): Promise<unknown> {
    let seen = 0;
    let current = job;
    for (;;) {
      for (const p of current.progress.slice(seen)) onProgress(p.step);
      seen = current.progress.length;
      if (current.state === 'succeeded') return current.result;
      if (current.state === 'failed' || current.state === 'interrupted')
        throw problemError(current.problem ?? { status: 500, code: 'MC_INTERNAL', detail: 'the job failed' });
      current = await this.get<Job>(`/v1/jobs/${encodeURIComponent(current.id)}?wait=30`);
    }
  }
}
