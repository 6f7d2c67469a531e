import { MinicloudError } from '../errors.js';
import { Sensitive } from '../sensitive.js';
import { compileStack, type CompiledStack } from '../compiler/compile.js';
import { amqpUrl, databaseUrl, renderCredentialsEnv, type CredentialUrls } from '../compiler/credentials.js';
import { HOSTNAME_PATTERN } from '../compiler/settings.js';
import type { Manifest } from '../manifest/normalise.js';
import type { NeedName } from '../manifest/schema.js';
import { readImageManifest } from '../engine/image-manifest.js';
import { composeOfCompiled, deployStack } from '../stack/deploy.js';
import { removeStack } from '../stack/remove.js';
import { stackStatus } from '../stack/status.js';
import type { ProxyRoute } from '../proxy/render.js';
import type { UpstreamAddresses } from '../proxy/upstream-addresses.js';
import type { UpstreamTarget } from '../proxy/upstream-locator.js';
import { generateSecret } from '../platform/credentials.js';
import type { AppContext } from './context.js';
import type { AppSecrets } from './store.js';
import type { CertificateFiles } from './ports.js';
import { appStatus } from './status.js';
import type {
  AddAppInput,
  AppRecord,
  Apps,
  AppStatus,
  DomainCertificate,
  Progress,
  UpdateAppInput,
  UpdateResult,
} from './types.js';

const quiet: Progress = () => undefined;
const HOST = new RegExp(HOSTNAME_PATTERN);

/** What the proxy serves: the routes, and for each its service and how to probe new tasks. */
interface Routing {
  routes: ProxyRoute[];
  targets: UpstreamTarget[];
}

/** Undo steps of a half-done change, run newest first when a later step fails. */
class Undo {
  private steps: (() => Promise<unknown>)[] = [];
  push(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.steps.reverse()) await step().catch(() => undefined);
  }
}

/**
 * The app lifecycle: add from an image, provision what it needs, deploy, route its domains;
 * update, re-route, remove. Every change is compute -> provision -> write -> deploy -> route,
 * and a failure part-way undoes what this change created, so nothing half-made is left.
 */
export class AppManager implements Apps {
  /** What the last route() gave the proxy, to tell whether the tasks moved since. */
  private routed: { routing: Routing; addresses: string } | undefined;

  constructor(private readonly ctx: AppContext) {}

  async add(input: AddAppInput, progress: Progress = quiet): Promise<AppStatus> {
    const { docker, store } = this.ctx;
    progress(`reading the manifest of ${input.image}`);
    const read = await readImageManifest(docker, input.image, this.registryAuthFor(input.image));
    const name = input.name ?? read.manifest.name;
    const now = new Date().toISOString();
    const record: AppRecord = {
      name,
      image: input.image,
      domains: [],
      env: { ...(input.env ?? {}) },
      replicas: input.replicas ?? 1,
      needs: [...read.manifest.needs],
      manifest: read.manifest,
      createdAt: now,
      updatedAt: now,
    };
    // Compiling checks the name, domains, env and replicas before anything is created.
    const stack = this.compile(record, input.domains ?? []);
    record.domains = stack.domains;
    if ((await store.exists(name)) || (await stackStatus(name, docker)).length > 0) {
      throw new MinicloudError('MC_APP_EXISTS', `an app named ${name} exists already`, [
        { path: 'name', message: 'is taken' },
      ]);
    }
    await this.checkDomainsFree(name, record.domains);

    const undo = new Undo();
    try {
      const secrets = await this.provision(name, record.needs, {}, undo, progress);
      await store.writeSecrets(name, secrets, this.credentialsEnv(name, record.needs, secrets));
      undo.push(() => store.removeSecrets(name));
      // Runs after the record is gone (undo goes newest first): the proxy forgets the app.
      undo.push(() => this.route());
      await store.write(record, { stackYaml: stack.yaml, manifest: { text: read.text, file: read.file } });
      undo.push(() => store.remove(name));
      progress(`deploying ${name}`);
      undo.push(() => removeStack(name, docker));
      // Routed as soon as the engine has the service, before it is healthy: the proxy sends
      // requests to the tasks that answer the platform's probe, a few seconds after they start
      // (the engine's first scheduled healthcheck may be 30 s away). The add still waits for
      // the engine's verdict, and a failure undoes the route with the rest.
      await this.deploy(stack, async () => {
        progress(`routing ${record.domains.join(', ')}`);
        await this.route();
      });
    } catch (error) {
      progress(`failed; undoing what was created`);
      await undo.run();
      throw error;
    }
    return this.show(name);
  }

  async list(): Promise<AppStatus[]> {
    const records = await this.ctx.store.list();
    return Promise.all(
      records.map(async (r) =>
        appStatus(r, await stackStatus(r.name, this.ctx.docker), httpPort(r.manifest) !== undefined),
      ),
    );
  }

  async show(name: string): Promise<AppStatus> {
    const record = await this.ctx.store.read(name);
    return appStatus(record, await stackStatus(name, this.ctx.docker), httpPort(record.manifest) !== undefined);
  }

  async update(name: string, input: UpdateAppInput, progress: Progress = quiet): Promise<UpdateResult> {
    const { store } = this.ctx;
    const before = await store.read(name);
    let manifest = before.manifest;
    let read: Awaited<ReturnType<typeof readImageManifest>> | undefined;
    if (input.image !== undefined && input.image !== before.image) {
      progress(`reading the manifest of ${input.image}`);
      read = await readImageManifest(this.ctx.docker, input.image, this.registryAuthFor(input.image));
      manifest = read.manifest;
    }
    const env = { ...before.env };
    for (const [key, value] of Object.entries(input.env ?? {})) {
      if (value === null) delete env[key];
      else env[key] = value;
    }
    // Needs only grow on update: a new version may ask for more, never silently loses data.
    const needs = [...new Set([...before.needs, ...manifest.needs])];
    const record: AppRecord = {
      ...before,
      image: input.image ?? before.image,
      env,
      replicas: input.replicas ?? before.replicas,
      needs,
      manifest,
      updatedAt: new Date().toISOString(),
    };
    const stack = this.compile(record, before.domains);
    const added = needs.filter((n) => !before.needs.includes(n));
    if (added.length > 0) {
      const secrets = await this.provision(name, added, await store.readSecrets(name), new Undo(), progress);
      await store.writeSecrets(name, secrets, this.credentialsEnv(name, needs, secrets));
    }
    progress(`deploying ${record.image}`);
    const result = await deployStack(name, composeOfCompiled(stack), {
      docker: this.ctx.docker,
      registryAuth: this.ctx.registryAuth,
      timeoutMs: this.ctx.deployTimeoutMs ?? 180_000,
      throwOnFailure: false,
    });
    const failed = result.services.filter((s) => s.state !== 'converged');
    const rolledBack = failed.find((s) => s.state === 'rolled-back');
    if (rolledBack) {
      progress(`the new version failed and was rolled back: ${rolledBack.reason ?? ''}`);
      return {
        app: await this.show(name),
        rolledBack: true,
        ...(rolledBack.reason ? { reason: rolledBack.reason } : {}),
      };
    }
    if (failed.length > 0) {
      throw new MinicloudError(
        'MC_DEPLOY_FAILED',
        `app ${name}: ${failed.map((s) => `${s.name} ${s.state}${s.reason ? `: ${s.reason}` : ''}`).join('; ')}`,
      );
    }
    await store.write(record, {
      stackYaml: stack.yaml,
      ...(read ? { manifest: { text: read.text, file: read.file } } : {}),
    });
    return { app: await this.show(name), rolledBack: false };
  }

  async remove(name: string, options: { purge?: boolean } = {}, progress: Progress = quiet): Promise<void> {
    const { store, docker } = this.ctx;
    const record = await store.read(name);
    progress(`removing the ${name} stack`);
    await removeStack(name, docker).catch((error: unknown) => {
      if (!(error instanceof MinicloudError && error.code === 'MC_STACK_NOT_FOUND')) throw error;
    });
    await store.remove(name);
    progress('removing its routes');
    await this.route();
    if (!options.purge) return;
    for (const need of record.needs) {
      progress(`purging its ${need}`);
      await this.dropNeed(name, need);
    }
    await store.removeSecrets(name);
    for (const domain of record.domains) await this.ctx.certificates.remove(domain);
  }

  async addDomain(name: string, domain: string, certificate?: DomainCertificate): Promise<AppStatus> {
    const record = await this.ctx.store.read(name);
    if (!HOST.test(domain)) {
      throw new MinicloudError('MC_SETTINGS_INVALID', `${domain} is not a host name`, [
        { path: 'domain', message: 'must be a lowercase host name such as app.example.com' },
      ]);
    }
    if (record.domains.includes(domain)) return this.show(name);
    await this.checkDomainsFree(name, [domain]);
    if (certificate)
      await this.ctx.certificates.upload(domain, certificate.certificatePem, new Sensitive(certificate.privateKeyPem));
    return this.reroute({ ...record, domains: [...record.domains, domain] });
  }

  async removeDomain(name: string, domain: string): Promise<AppStatus> {
    const record = await this.ctx.store.read(name);
    if (!record.domains.includes(domain)) {
      throw new MinicloudError('MC_DOMAIN_NOT_FOUND', `app ${name} has no domain ${domain}`, [
        { path: 'domain', message: 'is not routed to this app' },
      ]);
    }
    if (domain === record.domains[0]) {
      throw new MinicloudError('MC_SETTINGS_INVALID', `${domain} is the app's default domain and stays`, [
        { path: 'domain', message: 'is the default domain' },
      ]);
    }
    const status = await this.reroute({ ...record, domains: record.domains.filter((d) => d !== domain) });
    await this.ctx.certificates.remove(domain);
    return status;
  }

  async attachNeed(name: string, need: NeedName, progress: Progress = quiet): Promise<AppStatus> {
    const { store } = this.ctx;
    const record = await store.read(name);
    if (record.needs.includes(need)) return this.show(name);
    const needs = (['database', 'messagebus', 'storage'] as const).filter(
      (n) => n === need || record.needs.includes(n),
    );
    const next: AppRecord = { ...record, needs, updatedAt: new Date().toISOString() };
    const stack = this.compile(next, record.domains);
    const undo = new Undo();
    try {
      const secrets = await this.provision(name, [need], await store.readSecrets(name), undo, progress);
      await store.writeSecrets(name, secrets, this.credentialsEnv(name, needs, secrets));
      progress(`redeploying ${name} with ${need}`);
      await this.deploy(stack);
      await store.write(next, { stackYaml: stack.yaml });
    } catch (error) {
      await undo.run();
      throw error;
    }
    return this.show(name);
  }

  async detachNeed(
    name: string,
    need: NeedName,
    options: { purge?: boolean } = {},
    progress: Progress = quiet,
  ): Promise<AppStatus> {
    const { store } = this.ctx;
    const record = await store.read(name);
    if (!record.needs.includes(need)) {
      throw new MinicloudError('MC_NEED_INVALID', `app ${name} does not have ${need}`, [
        { path: 'need', message: 'is not attached' },
      ]);
    }
    const needs = record.needs.filter((n) => n !== need);
    const next: AppRecord = { ...record, needs, updatedAt: new Date().toISOString() };
    const stack = this.compile(next, record.domains);
    const secrets = await store.readSecrets(name);
    const kept: AppSecrets = { ...secrets };
    if (need === 'database') delete kept.database;
    if (need === 'messagebus') delete kept.messagebus;
    await store.writeSecrets(name, kept, this.credentialsEnv(name, needs, kept));
    progress(`redeploying ${name} without ${need}`);
    await this.deploy(stack);
    await store.write(next, { stackYaml: stack.yaml });
    if (options.purge) await this.dropNeed(name, need);
    return this.show(name);
  }

  // --- steps -------------------------------------------------------------------------

  private compile(record: AppRecord, domains: string[]): CompiledStack {
    const manifest: Manifest = { ...record.manifest, needs: record.needs };
    const extra = domains.filter((d) => d !== `${record.name}.${this.ctx.baseDomain}`);
    return compileStack(manifest, {
      image: record.image,
      name: record.name,
      domains: extra,
      baseDomain: this.ctx.baseDomain,
      replicas: record.replicas,
      endpointMode: this.ctx.endpointMode,
      dataDir: this.ctx.dataDir,
      secretsDir: this.ctx.store.secretsDir,
      env: record.env,
    });
  }

  private async deploy(stack: CompiledStack, onApplied?: () => Promise<void>): Promise<void> {
    await deployStack(stack.name, composeOfCompiled(stack), {
      docker: this.ctx.docker,
      registryAuth: this.ctx.registryAuth,
      timeoutMs: this.ctx.deployTimeoutMs ?? 180_000,
      ...(onApplied ? { onApplied } : {}),
    });
  }

  /**
   * Creates the needs not yet there. Something that already existed (a database kept by an
   * earlier remove without purge) is re-keyed and reused, and is never dropped by an undo.
   */
  private async provision(
    name: string,
    needs: NeedName[],
    secrets: AppSecrets,
    undo: Undo,
    progress: Progress,
  ): Promise<AppSecrets> {
    const out: AppSecrets = { ...secrets };
    for (const need of needs) {
      progress(`creating ${need} for ${name}`);
      if (need === 'database') {
        const existed = await this.ctx.database.exists(name);
        out.database ??= generateSecret();
        await this.ctx.database.ensure(name, out.database);
        if (!existed) undo.push(() => this.ctx.database.drop(name));
      } else if (need === 'messagebus') {
        const existed = await this.ctx.messagebus.exists(name);
        out.messagebus ??= generateSecret();
        await this.ctx.messagebus.ensure(name, out.messagebus);
        if (!existed) undo.push(() => this.ctx.messagebus.drop(name));
      } else {
        const existed = await this.ctx.storage.exists(name);
        await this.ctx.storage.ensure(name);
        if (!existed) undo.push(() => this.ctx.storage.drop(name));
      }
    }
    return out;
  }

  private async dropNeed(name: string, need: NeedName): Promise<void> {
    if (need === 'database') await this.ctx.database.drop(name);
    else if (need === 'messagebus') await this.ctx.messagebus.drop(name);
    else await this.ctx.storage.drop(name);
  }

  private credentialsEnv(name: string, needs: NeedName[], secrets: AppSecrets): Sensitive<string> {
    const { database, messagebus } = this.ctx;
    const urls: CredentialUrls = {};
    if (needs.includes('database') && secrets.database) {
      const { user, database: db } = database.names(name);
      urls.DATABASE_URL = databaseUrl({
        user,
        password: secrets.database,
        host: database.appHost,
        port: database.appPort,
        path: db,
      });
    }
    if (needs.includes('messagebus') && secrets.messagebus) {
      const { user, vhost } = messagebus.names(name);
      urls.AMQP_URL = amqpUrl({
        user,
        password: secrets.messagebus,
        host: messagebus.appHost,
        port: messagebus.appPort,
        path: vhost,
      });
    }
    return renderCredentialsEnv(urls);
  }

  private async checkDomainsFree(name: string, domains: string[]): Promise<void> {
    const others = (await this.ctx.store.list()).filter((r) => r.name !== name);
    for (const domain of domains) {
      const owner = others.find((r) => r.domains.includes(domain));
      if (owner || this.ctx.reservedDomains.includes(domain)) {
        throw new MinicloudError(
          'MC_DOMAIN_TAKEN',
          `${domain} is already routed to ${owner ? `app ${owner.name}` : 'the platform'}`,
          [{ path: 'domains', message: `${domain} is taken` }],
        );
      }
    }
  }

  /** Domains changed: redeploy for the labels, write the record, route. */
  private async reroute(record: AppRecord): Promise<AppStatus> {
    const stack = this.compile(record, record.domains);
    await this.deploy(stack);
    await this.ctx.store.write({ ...record, updatedAt: new Date().toISOString() }, { stackYaml: stack.yaml });
    await this.route();
    return this.show(record.name);
  }

  /**
   * Re-routes when the apps' tasks moved (an update, a restart, a rescheduled task) since the
   * proxy's upstream blocks were last written; the API calls this every few seconds.
   * Resolves whether it re-routed.
   */
  async syncUpstreams(): Promise<boolean> {
    if (!this.ctx.upstreams) return false;
    // The routes the proxy has (every change of them goes through route()); before the first
    // route() of this process, the store's.
    const routing = this.routed?.routing ?? (await this.routing());
    const addresses = await this.ctx.upstreams.addresses(routing.targets);
    if (this.routed && addressKey(addresses) === this.routed.addresses) return false;
    await this.route();
    return true;
  }

  /** Calls the listener when a starting task of an app answers: time for syncUpstreams(). */
  onTasksReady(listener: () => void): void {
    this.ctx.upstreams?.onReady?.(listener);
  }

  /** The proxy serves exactly the apps in the store, each on all its domains. */
  private async route(): Promise<void> {
    const routing = await this.routing();
    const addresses = (await this.ctx.upstreams?.addresses(routing.targets)) ?? new Map();
    const certs = new Map<string, CertificateFiles>();
    for (const r of routing.routes) for (const d of r.domains) certs.set(d, await this.ctx.certificates.get(d));
    await this.ctx.proxy.apply(
      routing.routes.map((r) => ({ ...r, addresses: addresses.get(r.upstream) ?? [] })),
      certs,
    );
    this.routed = { routing, addresses: addressKey(addresses) };
  }

  /** Every app in the store that serves http, on all its domains. */
  private async routing(): Promise<Routing> {
    const routing: Routing = { routes: [], targets: [] };
    for (const r of await this.ctx.store.list()) {
      const port = httpPort(r.manifest);
      if (port === undefined) continue;
      const upstream = `${r.name}_web`;
      routing.routes.push({ app: r.name, domains: r.domains, upstream, port });
      const healthPath = r.manifest.healthcheck?.http;
      routing.targets.push({ service: upstream, port, ...(healthPath !== undefined ? { healthPath } : {}) });
    }
    return routing;
  }

  private registryAuthFor(image: string) {
    return this.ctx.registryAuth.find((a) => image.startsWith(`${a.serveraddress}/`));
  }
}

/** A stable text of an address map, for comparing two of them. */
function addressKey(addresses: UpstreamAddresses): string {
  return JSON.stringify([...addresses].sort(([a], [b]) => a.localeCompare(b)));
}

function httpPort(manifest: Manifest): number | undefined {
  return manifest.expose.find((e) => e.proto === 'http')?.port;
}
