import { request } from 'node:https';
import { MinicloudError } from '../errors.js';
import type { Sensitive } from '../sensitive.js';

// A small client for the registry's HTTP API v2 over HTTPS with the platform CA and basic
// auth: what `registry ls` and `registry gc` need, nothing more. node:https rather than
// fetch, because only it takes a CA per request without another dependency.

export interface RegistryEndpoint {
  /** https://host:port */
  url: string;
  ca?: string;
  username?: string;
  password?: Sensitive<string>;
}

export const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
];

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
}

export interface ImageManifest {
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const MAX_BODY = 8 * 1024 * 1024;

export class RegistryClient {
  constructor(readonly endpoint: RegistryEndpoint) {}

  private send(method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
    const url = new URL(path, this.endpoint.url);
    const auth =
      this.endpoint.username && this.endpoint.password
        ? {
            Authorization: `Basic ${Buffer.from(`${this.endpoint.username}:${this.endpoint.password.reveal()}`).toString('base64')}`,
          }
        : {};
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          headers: { ...auth, ...headers },
          ...(this.endpoint.ca ? { ca: this.endpoint.ca } : {}),
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size <= MAX_BODY) chunks.push(c);
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out after 30 s')));
      req.on('error', (error) => reject(new MinicloudError('MC_REGISTRY', `${method} ${url.href}: ${error.message}`)));
      req.end();
    });
  }

  private async json<T>(path: string, headers: Record<string, string> = {}): Promise<{ value: T; reply: Reply }> {
    const reply = await this.send('GET', path, headers);
    check(reply, `GET ${path}`);
    return { value: JSON.parse(reply.body.toString('utf8')) as T, reply };
  }

  /** GET /v2/: resolves when the registry answers and accepts the credentials. */
  async ping(): Promise<void> {
    check(await this.send('GET', '/v2/'), 'GET /v2/');
  }

  async repositories(): Promise<string[]> {
    const out: string[] = [];
    let path: string | undefined = '/v2/_catalog?n=1000';
    while (path) {
      const { value, reply } = await this.json<{ repositories?: string[] }>(path);
      out.push(...(value.repositories ?? []));
      path = nextLink(reply.headers['link']);
    }
    return out.sort();
  }

  async tags(repo: string): Promise<string[]> {
    const reply = await this.send('GET', `/v2/${repo}/tags/list`);
    // A repository whose last tag was deleted answers 404 (or tags: null) until GC.
    if (reply.status === 404) return [];
    check(reply, `GET /v2/${repo}/tags/list`);
    const value = JSON.parse(reply.body.toString('utf8')) as { tags?: string[] | null };
    return [...(value.tags ?? [])].sort();
  }

  async manifest(repo: string, reference: string): Promise<{ digest: string; manifest: ImageManifest }> {
    const { value, reply } = await this.json<ImageManifest>(`/v2/${repo}/manifests/${reference}`, {
      Accept: MANIFEST_TYPES.join(', '),
    });
    const digest = String(reply.headers['docker-content-digest'] ?? '');
    return { digest, manifest: value };
  }

  async blobJson<T>(repo: string, digest: string): Promise<T> {
    return (await this.json<T>(`/v2/${repo}/blobs/${digest}`)).value;
  }

  /** Deletes a manifest by digest: every tag pointing at it goes with it. */
  async deleteManifest(repo: string, digest: string): Promise<void> {
    const reply = await this.send('DELETE', `/v2/${repo}/manifests/${digest}`);
    if (reply.status === 404) return;
    check(reply, `DELETE /v2/${repo}/manifests/${digest}`);
  }
}

function check(reply: Reply, what: string): void {
  if (reply.status >= 200 && reply.status < 300) return;
  const text = reply.body.toString('utf8').slice(0, 300).trim();
  if (reply.status === 401)
    throw new MinicloudError('MC_REGISTRY_AUTH', `${what}: the registry refused the credentials (401)`);
  throw new MinicloudError('MC_REGISTRY', `${what}: HTTP ${reply.status}${text ? ` ${text}` : ''}`);
}

function nextLink(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header[0] : header;
  return text ? /<([^>]+)>;\s*rel="next"/.exec(text)?.[1] : undefined;
}
