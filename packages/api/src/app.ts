import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import { pino } from 'pino';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { platformVersion, type Apps, type ConfigApplyPort, type Sensitive } from '@minicloud/core';
import { bearerAuth } from './auth.js';
import type { ApiContext } from './context.js';
import { frameworkErrors, registerErrorHandler } from './errors.js';
import { JobRunner, type JobRunnerOptions } from './jobs.js';
import { loggerOptions } from './logger.js';
import { LoginLimit } from './login-limit.js';
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
import { SHARED_SCHEMAS } from './schemas.js';
import { TokenStore } from './tokens.js';
import { validatorCompiler } from './validation.js';
import { healthRoutes } from './routes/health.js';
import { appRoutes } from './routes/apps.js';
import { appOpsRoutes } from './routes/app-ops.js';
import { appExecRoutes } from './routes/app-exec.js';
import { serveExecAttach } from './exec-attach.js';
import { ExecSessions } from './exec-sessions.js';
import { statsRoutes } from './routes/stats.js';
import { sharedServiceRoutes } from './routes/shared-services.js';
import { diskSpaceRoutes } from './routes/disk-space.js';
import { eventRoutes } from './routes/events.js';
import { registryHookRoutes, type RegistryHookOptions } from './routes/registry-hook.js';
import { actorHook } from './actor.js';
import { recordChanges } from './record-changes.js';
import type { EventsPort } from './events.js';
import { jobRoutes } from './routes/jobs.js';
import { tokenRoutes } from './routes/tokens.js';
import { imageRoutes, nodeRoutes, registryRoutes, stackRoutes } from './routes/platform.js';
import { backupRoutes } from './routes/backups.js';
import { applyRoutes } from './routes/apply.js';
import { acmeChallengeRoutes, type AcmeChallengeAnswers } from './routes/acme.js';
import { webPages } from './web/pages.js';

export interface AppOptions {
  /** The admin token; every route but /health, /docs, the webhooks and the log-in page needs it. */
  adminToken: Sensitive<string>;
  logger?: boolean;
  /** Where log lines go (default stdout); tests read them to check what is redacted. */
  logStream?: NodeJS.WritableStream;
  /** The app lifecycle (core's createApps / AppManager, or a fake in tests). Without it: 503. */
  apps?: Apps;
  /** The other parts of the platform; each one left out answers 503 MC_UNAVAILABLE. */
  nodes?: NodesPort;
  registry?: RegistryPort;
  stacks?: StacksPort;
  images?: ImagesPort;
  logs?: LogsPort;
  /** Commands in an app's running task, through the node agents. */
  exec?: ExecPort;
  /** Container stats of apps and the server's memory and disk. */
  stats?: StatsPort;
  /** The registry's push notifications (push to deploy); without it they are refused. */
  registryHook?: RegistryHookOptions;
  /** The event log and notifications (./events.ts); without it nothing is recorded. */
  events?: EventsPort;
  /** App backups (core's backup engine): the backup routes, and `backup` in the apps' status. */
  backups?: BackupsPort;
  /** How full the platform's filesystems are (GET /v1/platform/disk and the dashboard's warning). */
  diskSpace?: DiskSpacePort;
  /** `minicloud apply` and `minicloud diff` (core's ConfigApply): without it, 503. */
  configApply?: ConfigApplyPort;
  /** Where deploy-token and webhook hashes are kept (api-tokens.json, 0600); memory only without. */
  secretsDir?: string;
  /** A store made beforehand (tests); else opened from secretsDir. */
  tokens?: TokenStore;
  jobs?: JobRunner | JobRunnerOptions;
  /** How clients reach the API, e.g. https://admin.example.com (for the webhook URLs it hands out). */
  publicUrl?: string;
  /**
   * Behind the platform's reverse proxy: whether a peer address is the proxy, whose
   * X-Forwarded-* headers then count (TrustedProxy.trust). Default: nobody's.
   */
  trustProxy?: (address: string, hop: number) => boolean;
  /** The admin web pages (default on). */
  web?: boolean;
  /** The ACME orders' pending HTTP-01 answers (core's ChallengeResponses); without: every challenge is 404. */
  acmeChallenges?: AcmeChallengeAnswers;
  /** Failed log-ins per client address, shared by bearer tokens and the log-in page; a default one if left out. */
  loginLimit?: LoginLimit;
}

/**
 * One log line per request, when it completes (method, masked URL, status, time), rather than
 * Fastify's two: half the log volume on a small server, and the same facts.
 */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const fields = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else reply.log.info(fields, 'request completed');
  }
}

/** Builds the API without listening, so tests drive it with `app.inject`. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const base = options.logger === false ? false : loggerOptions();
  // Log lines go out asynchronously: lines written while a write is under way leave together,
  // so a busy server makes far fewer write calls; nothing waits for a quiet server's next line.
  const stream = options.logStream ?? pino.destination({ dest: 1, sync: false });
  const logger = (base ? { ...(base as object), stream } : base) as FastifyServerOptions['logger'];
  const app = Fastify({
    logger,
    logController: new OneLinePerRequest(),
    trustProxy: options.trustProxy ?? false,
    bodyLimit: 2 * 1024 * 1024,
    frameworkErrors,
  }).withTypeProvider<TypeBoxTypeProvider>();

  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  app.setValidatorCompiler(validatorCompiler(SHARED_SCHEMAS));
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'minicloud API',
        version: platformVersion(),
        description:
          'Run many small web apps on Docker Swarm. Every route but /health and the webhooks needs ' +
          '`Authorization: Bearer <token>`: the admin token, or for updating one app, a deploy token of that app. ' +
          'Errors are application/problem+json with a stable `code`. Long operations answer 202 with a job.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
      tags: [
        { name: 'apps', description: 'Apps: add from an image, list, show, update, remove' },
        { name: 'needs', description: "An app's database, message bus and storage" },
        { name: 'domains', description: "An app's domains and their certificates" },
        { name: 'jobs', description: 'Long operations: progress and result' },
        { name: 'tokens', description: 'Deploy tokens scoped to one app' },
        { name: 'webhooks', description: 'Redeploy an app when its image is pushed' },
        { name: 'nodes', description: 'Swarm nodes: list, join, labels, drain' },
        { name: 'registry', description: 'The private registry: repositories and tags' },
        { name: 'stacks', description: 'Raw compose stacks' },
        { name: 'backups', description: "An app's backups: list, back up now, restore, verify, schedule" },
        { name: 'platform', description: 'The API itself' },
      ],
    },
    // Shared schemas appear under their own names in components.schemas.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json['$id'] ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  const ctx: ApiContext = {
    apps: options.apps,
    nodes: options.nodes,
    registry: options.registry,
    stacks: options.stacks,
    images: options.images,
    logs: options.logs,
    exec: options.exec,
    stats: options.stats,
    backups: options.backups,
    diskSpace: options.diskSpace,
    configApply: options.configApply,
    events: options.events,
    jobs: options.jobs instanceof JobRunner ? options.jobs : new JobRunner(options.jobs ?? {}),
    tokens: options.tokens ?? (await TokenStore.open(options.secretsDir)),
    publicUrl: options.publicUrl?.replace(/\/+$/, ''),
  };

  registerErrorHandler(app);
  app.decorateRequest('principal', undefined);
  const loginLimit = options.loginLimit ?? new LoginLimit();
  app.addHook('onRequest', bearerAuth(options.adminToken, { tokens: ctx.tokens, limit: loginLimit }));
  app.addHook('onRequest', actorHook);
  if (ctx.events) recordChanges(app, ctx.jobs, ctx.events);
  await app.register(healthRoutes);
  appRoutes(app, ctx);
  appOpsRoutes(app, ctx);
  const execSessions = new ExecSessions();
  appExecRoutes(app, ctx, execSessions);
  serveExecAttach(app.server, execSessions, app.log);
  statsRoutes(app, ctx);
  sharedServiceRoutes(app, ctx);
  diskSpaceRoutes(app, ctx);
  registryHookRoutes(app, ctx, options.registryHook);
  eventRoutes(app, ctx);
  jobRoutes(app, ctx);
  tokenRoutes(app, ctx);
  nodeRoutes(app, ctx);
  registryRoutes(app, ctx);
  stackRoutes(app, ctx);
  imageRoutes(app, ctx);
  backupRoutes(app, ctx);
  applyRoutes(app, ctx);
  acmeChallengeRoutes(app as unknown as FastifyInstance, options.acmeChallenges);
  if (options.web !== false) {
    await app.register(webPages, {
      adminToken: options.adminToken,
      root: app as unknown as FastifyInstance,
      logs: ctx.logs,
      loginLimit,
    });
  }
  app.addHook('onClose', async () => ctx.jobs.idle());
  return app as unknown as FastifyInstance;
}
