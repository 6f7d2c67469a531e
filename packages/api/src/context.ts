import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { MinicloudError, type Apps, type ConfigApplyPort } from '@minicloud/core';
import type { EventsPort } from './events.js';
import type { JobRunner } from './jobs.js';
import type {
  BackupsPort,
  DiskSpacePort,
  ExecPort,
  ImagesPort,
  LogsPort,
  NodesPort,
  RegistryPort,
  StacksPort,
  StatsPort,
} from './ports.js';
import type { TokenStore } from './tokens.js';

/** What the routes work with: the app lifecycle, the other ports, the job runner and the token store. */
export interface ApiContext {
  apps: Apps | undefined;
  nodes: NodesPort | undefined;
  registry: RegistryPort | undefined;
  stacks: StacksPort | undefined;
  images: ImagesPort | undefined;
  logs: LogsPort | undefined;
  exec: ExecPort | undefined;
  stats: StatsPort | undefined;
  backups: BackupsPort | undefined;
  /** The data dir's filesystems and how full they are; without it /v1/platform/disk is 503. */
  diskSpace: DiskSpacePort | undefined;
  /** `minicloud apply` and `minicloud diff`: the platform vs its configuration directory. */
  configApply: ConfigApplyPort | undefined;
  /** The event log and notifications; without it nothing is recorded and /v1/events is 503. */
  events: EventsPort | undefined;
  jobs: JobRunner;
  tokens: TokenStore;
  /** How clients reach this API (https://admin.example.com), for URLs it hands out. */
  publicUrl: string | undefined;
}

export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** A port the server was not given: 503 with the reason, rather than a crash. */
export function port<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new MinicloudError('MC_UNAVAILABLE', `${what} is not configured on this API server`);
  return value;
}
