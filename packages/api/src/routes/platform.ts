import { Type } from '@sinclair/typebox';
import { MinicloudError } from '@minicloud/core';
import { port, type Api, type ApiContext } from '../context.js';
import {
  ImageManifestBody,
  ImageManifestReply,
  NodeChange,
  NodeParams,
  RegistryRepository,
  RegistryTag,
  StackBody,
  StackDeployResult,
  StackName,
  WaitQuery,
  problems,
} from '../schemas.js';
import type { RegistryImage } from '../ports.js';
import { answerJob } from './job-reply.js';

/** Bytes of distinct blobs: a layer shared by several tags is stored once. */
function uniqueBytes(images: readonly RegistryImage[]): number {
  const sizes = new Map<string, number>();
  for (const i of images) for (const b of i.blobs) sizes.set(b.digest, b.size);
  let total = 0;
  for (const size of sizes.values()) total += size;
  return total;
}

export function nodeRoutes(app: Api, ctx: ApiContext): void {
  const nodes = () => port(ctx.nodes, 'the swarm');

  app.get(
    '/v1/nodes',
    {
      schema: {
        summary: 'List swarm nodes with role, state, availability, address and labels',
        tags: ['nodes'],
        response: { 200: Type.Object({ nodes: Type.Array(Type.Ref('Node')) }), ...problems(502, 503) },
      },
    },
    async () => ({ nodes: await nodes().list() }),
  );

  app.get(
    '/v1/nodes/join-command',
    {
      schema: {
        summary: 'The command a new worker runs to join (it holds the join token and registry credentials)',
        tags: ['nodes'],
        response: { 200: Type.Object({ command: Type.String() }), ...problems(404, 502, 503) },
      },
    },
    async () => ({ command: await nodes().joinCommand() }),
  );

  app.patch(
    '/v1/nodes/:id',
    {
      schema: {
        summary: "Set or remove a node's labels, or drain it (active takes tasks again)",
        tags: ['nodes'],
        params: NodeParams,
        body: NodeChange,
        response: { 200: Type.Ref('Node'), ...problems(404, 502, 503) },
      },
    },
    async (request) => {
      const port = nodes();
      const { id } = request.params;
      const { labels, availability } = request.body;
      if (labels) await port.setLabels(id, labels);
      if (availability) await port.setAvailability(id, availability);
      const node = (await port.list()).find((n) => n.id === id);
      if (!node) throw new MinicloudError('MC_NODE_NOT_FOUND', `no node with id ${id}`);
      return node;
    },
  );
}

export function registryRoutes(app: Api, ctx: ApiContext): void {
  const registry = () => port(ctx.registry, 'the private registry');

  app.get(
    '/v1/registry/repositories',
    {
      schema: {
        summary: 'Repositories of the private registry with their tag count and size',
        tags: ['registry'],
        response: {
          200: Type.Object({ repositories: Type.Array(RegistryRepository), totalBytes: Type.Integer() }),
          ...problems(502, 503),
        },
      },
    },
    async () => {
      const images = await registry().list();
      const byRepo = new Map<string, RegistryImage[]>();
      for (const i of images) byRepo.set(i.repository, [...(byRepo.get(i.repository) ?? []), i]);
      const repositories = [...byRepo.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, tags]) => ({ name, tags: tags.length, bytes: uniqueBytes(tags) }));
      return { repositories, totalBytes: uniqueBytes(images) };
    },
  );

  app.get(
    '/v1/registry/tags',
    {
      schema: {
        summary: 'Tags of the private registry (of one repository with `?repository=`) with digest, date and size',
        tags: ['registry'],
        querystring: Type.Object(
          { repository: Type.Optional(Type.String({ maxLength: 255 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ tags: Type.Array(RegistryTag) }), ...problems(502, 503) },
      },
    },
    async (request) => {
      const wanted = request.query.repository;
      const images = (await registry().list()).filter((i) => wanted === undefined || i.repository === wanted);
      return { tags: images };
    },
  );
}

export function stackRoutes(app: Api, ctx: ApiContext): void {
  const stacks = () => port(ctx.stacks, 'stack deploys');

  app.post(
    '/v1/stacks',
    {
      schema: {
        summary: 'Deploy a raw compose file as a stack (a job)',
        description:
          'For what is not an app: the file is deployed as written, with no variables substituted from the ' +
          "server's environment and no env_file or file-based secrets (they would be read on the server).",
        tags: ['stacks'],
        querystring: WaitQuery,
        body: StackBody,
        response: {
          202: Type.Ref('Job'),
          200: StackDeployResult,
          ...problems(409, 502, 503),
        },
      },
    },
    async (request, reply) => {
      const port = stacks();
      const { name, compose, prune } = request.body;
      const job = ctx.jobs.start('stack.deploy', `stack:${name}`, async (progress) => ({
        stack: name,
        ...(await port.deploy(name, compose, { prune: prune ?? false }, progress)),
      }));
      return answerJob(ctx, reply, job, request.query.wait, { status: 200 });
    },
  );

  app.get(
    '/v1/stacks/:name',
    {
      schema: {
        summary: 'A stack: its services and their tasks',
        tags: ['stacks'],
        params: Type.Object({ name: StackName }),
        response: {
          200: Type.Object({
            name: Type.String(),
            services: Type.Array(Type.Ref('ServiceStatus')),
          }),
          ...problems(404, 502, 503),
        },
      },
    },
    async (request) => {
      const { name } = request.params;
      const services = await stacks().status(name);
      if (services.length === 0) throw new MinicloudError('MC_STACK_NOT_FOUND', `no stack named ${name}`);
      return { name, services };
    },
  );

  app.delete(
    '/v1/stacks/:name',
    {
      schema: {
        summary: 'Remove a stack (only what minicloud made; volumes stay)',
        tags: ['stacks'],
        params: Type.Object({ name: StackName }),
        response: { 200: Type.Object({ removed: Type.Array(Type.String()) }), ...problems(404, 502, 503) },
      },
    },
    async (request) => ({ removed: await stacks().remove(request.params.name) }),
  );
}

export function imageRoutes(app: Api, ctx: ApiContext): void {
  app.post(
    '/v1/images/manifest',
    {
      schema: {
        summary: "Read an image's cloud manifest without deploying anything (what an add would do)",
        tags: ['apps'],
        body: ImageManifestBody,
        response: { 200: ImageManifestReply, ...problems(404, 502, 503) },
      },
    },
    async (request) => {
      const { image } = request.body;
      return { image, ...(await port(ctx.images, 'reading images').manifest(image)) };
    },
  );
}
