import { MinicloudError } from '../errors.js';
import { Sensitive } from '../sensitive.js';
import type { CompiledStack } from '../compiler/compile.js';
import { checkEnvFile } from '../compiler/credentials.js';
import { HOSTNAME_PATTERN } from '../compiler/settings.js';
import type { Manifest } from '../manifest/normalise.js';
import { NEED_NAMES, needClashes, needKind, type NeedName } from '../needs/registry.js';
import { ServiceDemand } from './service-demand.js';
import { readImageManifest } from '../engine/image-manifest.js';
import { composeOfCompiled, deployStack, type DeployOptions, type DeployResult } from '../stack/deploy.js';
import { removeStack } from '../stack/remove.js';
import { stacksStatus, stackStatus, type ServiceStatus } from '../stack/status.js';
import type { ProxyRoute } from '../proxy/render.js';
import type { UpstreamAddresses } from '../proxy/upstream-addresses.js';
import type { UpstreamTarget } from '../proxy/upstream-locator.js';
import { generateSecret } from '../platform/credentials.js';
import type { AppContext } from './context.js';
import { wrapEnv, type AppSecrets } from './store.js';
import type { StackInputs } from '../stack/types.js';
import { appEnvFile, compileApp } from './app-stack.js';
import { addOrigin, checkUpdateOrigin, type AddOrigin } from './add-origin.js';
import { compileComposeRecord, composeRecordFields, readComposeApp, routedServiceOf } from './compose-stack.js';
import { removeVolume } from './volumes.js';
import type { ComposeApp } from '../compose-app/index.js';
import { moveLegacyEnv } from './env-migration.js';
import type { CertificateFiles, RepairedDatabaseGrant } from './ports.js';
import { domainCertificateStatus, type DomainCertificateStatus } from '../acme/status.js';
import { appStatus } from './status.js';
import { lostNodesOnce } from './nodes-once.js';
import { placementTrouble } from './placement.js';
import type { NodeSummary } from '../engine/swarm.js';
import { purgeSteps, reason } from './purge.js';
import { assertNotRemoving, removalLeft, removeIncomplete, removingError, startRemoval } from './removal.js';
import {
  addRetryHint,
  attachRetryHint,
  checkKeptDataChoice,
  keptDataPlan,
  type ExistingData,
  type KeptDataPlan,
} from './kept-data.js';
import { findAppsWithSharedAliases } from './shared-aliases.js';
import { restartAppServices } from './restart.js';
import { nextRunnerReplicas } from './runner-replicas.js';
import { followableImage } from './follow-tag.js';
import type {
  AddAppInput,
  AppRecord,
  Apps,
  AppStatus,
  DomainCertificate,
  KeptDataChoice,
  Progress,
  RemovalPart,
  SharedServiceStatus,
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
  /** Told after every route(): the certificate renewer orders for a domain routed a moment ago. */
  private routedListeners: (() => void)[] = [];

  /** Starts the shared services apps need, and stops the ones none needs. */
  private readonly demand: ServiceDemand;

  constructor(private readonly ctx: AppContext) {
    this.demand = new ServiceDemand(ctx);
  }

  /** The domains' certificates and their ACME state (the renewer writes there). */
  get certificateStore(): AppContext['certificates'] {
    return this.ctx.certificates;
  }

  async add(input: AddAppInput, progress: Progress = quiet): Promise<AppStatus> {
    const { docker, store } = this.ctx;
    const origin = await addOrigin(docker, input, (image) => this.registryAuthFor(image), progress);
    const name = origin.name;
    const now = new Date().toISOString();
    const record: AppRecord = {
      name,
      state: 'active',
      ...origin.fields,
      domains: [],
      envKeys: Object.keys(input.env ?? {}).sort(),
      replicas: input.replicas ?? 1,
      needs: [...origin.fields.manifest.needs],
      createdAt: now,
      updatedAt: now,
    };
    // Compiling checks the name, domains, env and replicas before anything is created.
    const stack = await this.compile(record, input.domains ?? [], origin.app);
    const env = wrapEnv(input.env ?? {});
    checkEnvFile(env);
    record.domains = stack.domains;
    checkKeptDataChoice(input);
    if (await store.exists(name)) {
      // One being removed is named as such: finishing its removal is what frees the name.
      const existing = await store.read(name);
      if (existing.state === 'removing') throw removingError(existing);
    }
    if ((await store.exists(name)) || (await stackStatus(name, docker)).length > 0) {
      throw new MinicloudError('MC_APP_EXISTS', `an app named ${name} exists already`, [
        { path: 'name', message: 'is taken' },
      ]);
    }
    await this.checkDomainsFree(name, record.domains);
    progress(`looking for data an earlier ${name} left`);
    const plan = keptDataPlan(name, await this.existingData(name, NEED_NAMES), input, addRetryHint());

    const undo = new Undo();
    try {
      await this.demand.using(record.needs, progress, () =>
        this.create(name, record, stack, plan, env, origin.files, undo, progress),
      );
    } catch (error) {
      progress(`failed; undoing what was created`);
      await undo.run();
      // A service started for this app alone goes back to idle.
      await this.settleAfter(progress);
      throw error;
    }
    return this.show(name);
  }

  /** The steps of an add after its checks: provision, keep the secrets and record, deploy, route. */
  private async create(
    name: string,
    record: AppRecord,
    stack: CompiledStack,
    plan: KeptDataPlan,
    env: Record<string, Sensitive<string>>,
    files: AddOrigin['files'],
    undo: Undo,
    progress: Progress,
  ): Promise<void> {
    const { docker, store } = this.ctx;
    // The record first, marked as an add under way, before anything is made: if the API dies
    // from here on, its next start finds the mark and rolls the add back, so nothing the add
    // made (a database, a user, a vhost, a stack, a route) is left without an app.
    await store.write(
      { ...record, adding: { startedAt: record.createdAt, adopted: [...plan.adopt] } },
      { stackYaml: stack.yaml, ...files },
    );
    // Undone last (undo goes newest first): the record goes, then the proxy forgets the app.
    undo.push(async () => {
      await store.remove(name);
      await this.route();
    });
    await this.dropOld(name, plan, progress);
    const secrets = { ...(await this.provision(name, record.needs, {}, undo, progress)), env };
    await store.writeSecrets(name, secrets, this.credentialsEnv(name, record.needs, secrets));
    undo.push(() => store.removeSecrets(name));
    progress(`deploying ${name}`);
    undo.push(() => removeStack(name, docker));
    // Routed as soon as the engine has the service, before it is healthy: the proxy sends
    // requests to the tasks that answer the platform's probe, a few seconds after they start
    // (the engine's first scheduled healthcheck may be 30 s away). The add still waits for
    // the engine's verdict, and a failure undoes the route with the rest.
    await this.deploy(stack, {
      onApplied: async () => {
        progress(`routing ${record.domains.join(', ')}`);
        await this.route();
      },
    });
    // Deployed and routed: the add is complete.
    await store.writeRecord(record);
  }

  /**
   * Rolls back the adds the API died in (their records still marked `adding`), as a failed add
   * is undone: removed with everything they made, except data an earlier app left that the add
   * had adopted (kept, as before the add). Run by the API at start; resolves the apps rolled
   * back. One whose removal cannot finish now (a shared service down) stays `removing`, saying
   * what is left, as any removal does.
   */
  async rollBackInterruptedAdds(progress: Progress = quiet): Promise<string[]> {
    const { store } = this.ctx;
    const rolledBack: string[] = [];
    for (const record of await store.list()) {
      const { adding } = record;
      if (!adding) continue;
      progress(`rolling back the add of ${record.name} (started ${adding.startedAt}), which the API died in`);
      // The adopted needs leave the record, so the purge leaves their data. The mark stays
      // until the record goes: a roll-back that could not finish is tried again at the next call.
      if (record.state !== 'removing')
        await store.writeRecord({ ...record, needs: record.needs.filter((n) => !adding.adopted.includes(n)) });
      await this.remove(record.name, { purge: true }, progress);
      rolledBack.push(record.name);
    }
    return rolledBack;
  }

  /**
   * Finishes the removals a stopped API left (records `removing`, not an add being rolled back,
   * which rollBackInterruptedAdds finishes): what the operator asked for, done. Run by the API at
   * start; resolves the apps removed. One that cannot finish now stays removing, saying what is
   * left, and the call rejects with why, to be tried again.
   */
  async finishInterruptedRemovals(progress: Progress = quiet): Promise<string[]> {
    const finished: string[] = [];
    for (const record of await this.ctx.store.list()) {
      if (record.state !== 'removing' || record.adding) continue;
      progress(`finishing the removal of ${record.name} (started ${record.removal?.startedAt ?? 'earlier'})`);
      await this.remove(record.name, { purge: record.removal?.purge ?? false }, progress);
      finished.push(record.name);
    }
    return finished;
  }

  /**
   * Puts back the apps whose update the API died in (records still marked `updating`): the
   * needs the update added are dropped (their users, databases, credentials), and the app is
   * deployed again as its record and env file say, the version before the update (a no-op for
   * the engine when the update had not reached it). Then the mark goes. Run by the API at start;
   * resolves the apps put back. One that fails keeps its mark and is tried at the next call.
   */
  async rollBackInterruptedUpdates(progress: Progress = quiet): Promise<string[]> {
    const { store } = this.ctx;
    const rolledBack: string[] = [];
    for (const marked of await store.list()) {
      const { updating, ...record } = marked;
      if (!updating || record.state === 'removing') continue;
      progress(`rolling back the update of ${record.name} (started ${updating.startedAt}), which the API died in`);
      const dropped = updating.addedNeeds.filter((n) => !record.needs.includes(n));
      if (dropped.length > 0) {
        const kept: AppSecrets = { ...(await store.readSecrets(record.name)) };
        for (const need of dropped) delete kept[need];
        await store.writeSecrets(record.name, kept, this.credentialsEnv(record.name, record.needs, kept));
      }
      const stack = await this.compile(record, record.domains);
      await this.deploy(stack);
      for (const need of dropped) await this.dropNeed(record.name, need);
      await store.writeRecord(record);
      rolledBack.push(record.name);
    }
    return rolledBack;
  }

  /**
   * Every app with its status, from two engine calls (every stack's services and tasks). Many
   * clients polling at once share listings: one under way is shared, and one that ended less
   * than `listingMaxAgeMs` ago (default 1 s) is reused, so fifty clients in tight loops cost a
   * listing a second, not one after another (which kept the engine and the API busy and every
   * read waiting 2 s). A record that changed (an add, an update, a removal) is never missed:
   * a listing from before the change is not shared, the next one reads it.
   */
  list(): Promise<AppStatus[]> {
    const changes = this.ctx.store.changes;
    const maxAgeMs = this.ctx.listingMaxAgeMs ?? 1000;
    const fresh = (l: NonNullable<typeof this.listing>) =>
      l.changes === changes && (l.endedAt === undefined || Date.now() - l.endedAt < maxAgeMs);
    if (this.listing && fresh(this.listing)) return this.listing.result;
    const listing: NonNullable<typeof this.listing> = { changes, result: this.listNow() };
    this.listing = listing;
    listing.result.then(
      () => (listing.endedAt = Date.now()),
      // A failed listing is not reused: the next call asks again.
      () => {
        if (this.listing === listing) this.listing = undefined;
      },
    );
    return listing.result;
  }

  private listing: { changes: number; result: Promise<AppStatus[]>; endedAt?: number } | undefined;

  private async listNow(): Promise<AppStatus[]> {
    // Every stack's services and tasks in two engine calls, however many apps there are.
    const [records, stacks] = await Promise.all([this.ctx.store.list(), stacksStatus(this.ctx.docker)]);
    const nodes = lostNodesOnce(this.ctx.docker);
    return Promise.all(records.map(async (r) => this.statusOf(r, nodes, stacks.get(r.name) ?? [])));
  }

  /** A compose app's file as last deployed; MC_APP_NOT_FOUND for an app from an image. */
  async composeFile(name: string): Promise<string> {
    const record = await this.ctx.store.read(name);
    if (record.source?.kind !== 'compose')
      throw new MinicloudError('MC_APP_NOT_FOUND', `app ${name} was added from an image: it has no compose file`, [
        { path: 'name', message: 'is an app from an image (its manifest is in the image)' },
      ]);
    return this.ctx.store.readCompose(name);
  }

  async show(name: string): Promise<AppStatus> {
    const record = await this.ctx.store.read(name);
    const status = await this.statusOf(record, lostNodesOnce(this.ctx.docker));
    return { ...status, certificates: await this.certificateStatus(record.domains) };
  }

  /** The app as it runs, and, when not all of it does, the lost nodes that are the cause. */
  private async statusOf(
    record: AppRecord,
    nodes: () => Promise<NodeSummary[]>,
    services?: ServiceStatus[],
  ): Promise<AppStatus> {
    const status = appStatus(
      record,
      services ?? (await stackStatus(record.name, this.ctx.docker)),
      httpPort(record.manifest) !== undefined,
    );
    if (status.health === 'healthy') return status;
    const placement = placementTrouble(record.name, status.services, await nodes());
    return placement.length > 0 ? { ...status, placement } : status;
  }

  /** Each domain's certificate: who issued it, until when, and how ordering one went. */
  async certificateStatus(domains: readonly string[]): Promise<DomainCertificateStatus[]> {
    const store = this.ctx.certificates;
    return Promise.all(
      domains.map(async (domain) =>
        domainCertificateStatus(domain, await store.state(domain), this.ctx.acmeOn ?? false),
      ),
    );
  }

  /** Every host name the proxy serves with a certificate of the store: app domains, then admin.<base>. */
  async certificateDomains(): Promise<string[]> {
    const routing = this.routed?.routing ?? (await this.routing());
    return [...routing.routes.flatMap((r) => r.domains), ...(this.ctx.platformHosts ?? [])];
  }

  /** Has the proxy serve the store's certificates now (a new one was issued): the checked, graceful reload. */
  async refreshCertificates(): Promise<void> {
    await this.route();
  }

  onRouted(listener: () => void): void {
    this.routedListeners.push(listener);
  }

  async update(name: string, input: UpdateAppInput, progress: Progress = quiet): Promise<UpdateResult> {
    const { store } = this.ctx;
    // A record that still holds its env values (written by an earlier version) is moved by
    // this update: its values are the ones to change. One that cannot move (a value with a
    // line break) is put right this way too.
    const { record: stored, legacyEnv } = await store.readStored(name);
    assertNotRemoving(stored);
    // A mark an interrupted update left (its roll-back not done yet) is not carried forward.
    const { updating: _interrupted, ...before } = stored;
    const secretsBefore = await store.readSecrets(name);
    checkUpdateOrigin(before, input);
    let manifest = before.manifest;
    let read: Awaited<ReturnType<typeof readImageManifest>> | undefined;
    // A compose app's new file decides its images, ports and needs as a new image's manifest does.
    const app = input.compose !== undefined ? readComposeApp(input.compose) : undefined;
    const fromFile = app ? composeRecordFields(app, name) : undefined;
    if (fromFile) manifest = fromFile.manifest;
    if (input.image !== undefined && input.image !== before.image) {
      progress(`reading the manifest of ${input.image}`);
      read = await readImageManifest(this.ctx.docker, input.image, this.registryAuthFor(input.image));
      manifest = read.manifest;
    }
    const env = legacyEnv ? wrapEnv(legacyEnv) : { ...secretsBefore.env };
    for (const [key, value] of Object.entries(input.env ?? {})) {
      if (value === null) delete env[key];
      else env[key] = new Sensitive(value);
    }
    checkEnvFile(env);
    // Needs only grow on update: a new version may ask for more, never silently loses data.
    const needs = [...new Set([...before.needs, ...manifest.needs])];
    const runnerReplicas = nextRunnerReplicas(before.runnerReplicas, input.runnerReplicas, manifest);
    const record: AppRecord = {
      ...before,
      image: input.image ?? before.image,
      ...fromFile,
      envKeys: Object.keys(env).sort(),
      replicas: input.replicas ?? before.replicas,
      needs,
      manifest,
      updatedAt: new Date().toISOString(),
    };
    if (runnerReplicas) record.runnerReplicas = runnerReplicas;
    else delete record.runnerReplicas;
    const followTag = input.followTag ?? before.followTag;
    if (followTag) {
      const registry = this.ctx.registryAddr;
      if (record.source?.kind === 'compose')
        throw new MinicloudError('MC_SETTINGS_INVALID', `app ${name} names its images in its compose file`, [
          { path: 'followTag', message: 'is for apps added from an image; update a compose app with its file' },
        ]);
      if (!registry || !followableImage(record.image, registry))
        throw new MinicloudError('MC_SETTINGS_INVALID', `${record.image} is not a tag of the platform's registry`, [
          {
            path: 'followTag',
            message: `can follow only an image pushed to ${registry ?? "the platform's registry"} by tag (minicloud push)`,
          },
        ]);
      record.followTag = true;
    } else delete record.followTag;
    // Following is a setting of the app: changing only it redeploys nothing new (same stack).
    const stack = await this.compile(record, before.domains, app);
    // A new file may add domains (x-minicloud.domains): checked as any added domain is.
    const newDomains = stack.domains.filter((d) => !before.domains.includes(d));
    await this.checkDomainsFree(name, newDomains);
    record.domains = stack.domains;
    const added = needs.filter((n) => !before.needs.includes(n));
    // From here on the update makes things (users, a new stack): marked first, so an API that
    // dies under it is followed by one that puts the app back as its record says. A record
    // that still holds env values (legacyEnv) is not rewritten here: they would be lost.
    const marked = legacyEnv === undefined;
    if (marked) await store.writeRecord({ ...before, updating: { startedAt: record.updatedAt, addedNeeds: added } });
    let result: UpdateResult | undefined;
    try {
      result = await this.updateMarked({ before, record, stack, read, added, env, secretsBefore }, input, progress);
      return result;
    } finally {
      // A failed or rolled-back update leaves the record as it was; a finished one wrote its own.
      if (marked && (result === undefined || result.rolledBack)) await store.writeRecord(before).catch(() => undefined);
    }
  }

  /** The steps of an update once its record is marked: provision what it adds, deploy, keep. */
  private async updateMarked(
    step: {
      before: AppRecord;
      record: AppRecord;
      stack: CompiledStack;
      read: Awaited<ReturnType<typeof readImageManifest>> | undefined;
      added: NeedName[];
      env: Record<string, Sensitive<string>>;
      secretsBefore: AppSecrets;
    },
    input: UpdateAppInput,
    progress: Progress,
  ): Promise<UpdateResult> {
    const { store } = this.ctx;
    const { before, record, stack, read, added, env, secretsBefore } = step;
    const { name, needs } = record;
    let secrets = secretsBefore;
    if (added.length > 0) {
      // Data of a need the app did not have (detached without purge) is not taken over silently.
      for (const need of added)
        keptDataPlan(name, await this.existingData(name, [need]), {}, attachRetryHint(name, need));
      // The new passwords are kept at once (the users exist now); the env values as they were.
      secrets = await this.demand.using(added, progress, () =>
        this.provision(name, added, secretsBefore, new Undo(), progress),
      );
      await store.writeSecrets(name, secrets, this.credentialsEnv(name, needs, secrets));
    }
    secrets = { ...secrets, env };
    const envFile = this.credentialsEnv(name, needs, secrets);
    progress(`deploying ${record.image}`);
    // The new env file goes to the deploy, and to disk only once the new version runs: one
    // that is rolled back leaves the file with the values the running version has.
    const result = await this.deploy(stack, { throwOnFailure: false, inputs: envFileInputs(stack, envFile) });
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
    await store.writeSecrets(name, secrets, envFile);
    await store.write(record, {
      stackYaml: stack.yaml,
      ...(read ? { manifest: { text: read.text, file: read.file } } : {}),
      ...(input.compose !== undefined ? { compose: input.compose } : {}),
    });
    // A new file (or manifest) may route other domains, another port or service.
    if (routeKey(record) !== routeKey(before)) await this.route();
    return { app: await this.show(name), rolledBack: false };
  }

  /**
   * The record says `removing` (naming every part still there) before anything is removed,
   * and goes last, once every part is gone: an attempt that fails or is cut short leaves the
   * app listed as removing with what is left and why, and running the remove again finishes
   * it. Each step is tried, and whatever failed is reported together.
   */
  async remove(name: string, options: { purge?: boolean } = {}, progress: Progress = quiet): Promise<void> {
    const { store, docker } = this.ctx;
    const record = startRemoval(await store.read(name), options.purge ?? false);
    await store.writeRecord(record);
    const purge = record.removal?.purge ?? false;
    const left: RemovalPart[] = [];
    const attempt = async (part: string, step: () => Promise<unknown>) => {
      await step().catch((error: unknown) => left.push({ part, reason: reason(error) }));
    };
    // The proxy stops routing it first (routing skips apps being removed): no request meets
    // a stack on its way out.
    progress('removing its routes');
    await attempt('routes', () => this.route());
    progress(`removing the ${name} stack`);
    await attempt('stack', () =>
      removeStack(name, docker, { progress }).catch((error: unknown) => {
        if (!(error instanceof MinicloudError && error.code === 'MC_STACK_NOT_FOUND')) throw error;
      }),
    );
    if (purge) {
      left.push(
        ...(await purgeSteps(record, {
          dropNeed: (need) => this.dropNeed(name, need),
          removeCertificate: (domain) => this.ctx.certificates.remove(domain),
          removeSecrets: () => store.removeSecrets(name),
          removeVolume: (volume) => removeVolume(docker, volume),
          progress,
        })),
      );
    }
    if (left.length > 0) {
      await store.writeRecord(removalLeft(record, left));
      throw removeIncomplete(record, left);
    }
    await store.remove(name);
    await this.settleAfter(progress);
  }

  /**
   * Stops the shared services no app needs and that hold no app's data (their data dirs
   * stay); resolves the ones stopped. Run after every removal, and by the API at start (a
   * platform upgraded from a version that ran every service).
   */
  async settleServices(progress: Progress = quiet): Promise<string[]> {
    return this.demand.settle(progress);
  }

  async sharedServices(): Promise<SharedServiceStatus[]> {
    return this.demand.status();
  }

  /** Settles the shared services after a change, at once or after the linger (ServiceDemand.settleSoon). */
  private async settleAfter(progress: Progress): Promise<void> {
    await this.demand.settleSoon(progress);
  }

  async restart(name: string, options: { runner?: string } = {}, progress: Progress = quiet): Promise<AppStatus> {
    assertNotRemoving(await this.ctx.store.read(name));
    const reports = await restartAppServices(this.ctx.docker, name, {
      ...options,
      progress,
      timeoutMs: this.ctx.deployTimeoutMs ?? 180_000,
    });
    const failed = reports.filter((s) => s.state !== 'converged');
    if (failed.length > 0) {
      throw new MinicloudError(
        'MC_DEPLOY_FAILED',
        `app ${name} did not restart: ${failed.map((s) => `${s.name} ${s.state}${s.reason ? `: ${s.reason}` : ''}`).join('; ')}`,
      );
    }
    return this.show(name);
  }

  async addDomain(name: string, domain: string, certificate?: DomainCertificate): Promise<AppStatus> {
    const record = await this.read(name);
    if (!HOST.test(domain)) {
      throw new MinicloudError('MC_SETTINGS_INVALID', `${domain} is not a host name`, [
        { path: 'domain', message: 'must be a lowercase host name such as app.example.com' },
      ]);
    }
    const known = record.domains.includes(domain);
    // A domain the app has already: nothing to do, unless a certificate comes to replace its own.
    if (known && !certificate) return this.show(name);
    if (!known) await this.checkDomainsFree(name, [domain]);
    const undo = new Undo();
    try {
      if (certificate) {
        const key = new Sensitive(certificate.privateKeyPem);
        undo.push(await this.ctx.certificates.upload(domain, certificate.certificatePem, key));
      }
      if (!known) return await this.reroute({ ...record, domains: [...record.domains, domain] });
      // Same routes, new files: the proxy checks them with nginx -t and reloads.
      await this.route();
      return await this.show(name);
    } catch (error) {
      await undo.run();
      throw error;
    }
  }

  async removeDomain(name: string, domain: string): Promise<AppStatus> {
    const record = await this.read(name);
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

  async attachNeed(
    name: string,
    need: NeedName,
    progress: Progress = quiet,
    choice: KeptDataChoice = {},
  ): Promise<AppStatus> {
    const { store } = this.ctx;
    const record = await this.read(name);
    checkKeptDataChoice(choice);
    if (record.needs.includes(need)) return this.show(name);
    for (const clash of needClashes([...record.needs, need])) {
      const other = clash.needs.find((n) => n !== need)!;
      throw new MinicloudError(
        'MC_NEED_INVALID',
        `app ${name} has ${other}, and ${other} and ${need} both give ${clash.env.join(', ')}: detach ${other} first`,
        [{ path: 'need', message: `cannot go with ${other} (both give ${clash.env.join(', ')})` }],
      );
    }
    const plan = keptDataPlan(name, await this.existingData(name, [need]), choice, attachRetryHint(name, need));
    const needs = NEED_NAMES.filter((n) => n === need || record.needs.includes(n));
    const next: AppRecord = { ...record, needs, updatedAt: new Date().toISOString() };
    const stack = await this.compile(next, record.domains);
    const undo = new Undo();
    try {
      await this.demand.using([need], progress, async () => {
        await this.dropOld(name, plan, progress);
        const secrets = await this.provision(name, [need], await store.readSecrets(name), undo, progress);
        await store.writeSecrets(name, secrets, this.credentialsEnv(name, needs, secrets));
        progress(`redeploying ${name} with ${need}`);
        await this.deploy(stack);
        await store.write(next, { stackYaml: stack.yaml });
      });
    } catch (error) {
      await undo.run();
      await this.settleAfter(progress);
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
    const record = await this.read(name);
    if (!record.needs.includes(need)) {
      throw new MinicloudError('MC_NEED_INVALID', `app ${name} does not have ${need}`, [
        { path: 'need', message: 'is not attached' },
      ]);
    }
    const needs = record.needs.filter((n) => n !== need);
    const next: AppRecord = { ...record, needs, updatedAt: new Date().toISOString() };
    const stack = await this.compile(next, record.domains);
    const secrets = await store.readSecrets(name);
    const kept: AppSecrets = { ...secrets };
    delete kept[need];
    await store.writeSecrets(name, kept, this.credentialsEnv(name, needs, kept));
    progress(`redeploying ${name} without ${need}`);
    await this.deploy(stack);
    await store.write(next, { stackYaml: stack.yaml });
    if (options.purge) await this.dropNeed(name, need);
    await this.settleAfter(progress);
    return this.show(name);
  }

  // --- steps -------------------------------------------------------------------------

  /** A compose app's from its file (read from the store unless given), a manifest app's from its manifest. */
  private async compile(record: AppRecord, domains: string[], app?: ComposeApp): Promise<CompiledStack> {
    if (record.source?.kind !== 'compose') return compileApp(this.ctx, record, domains);
    const file = app ?? readComposeApp(await this.ctx.store.readCompose(record.name));
    return compileComposeRecord(this.ctx, record, file, domains);
  }

  /**
   * Redeploys (start-first, as any update) the apps whose services an earlier version left
   * answering to their short names on the shared networks. Resolves, per app, what happened.
   */
  async dropSharedNetworkAliases(): Promise<{ app: string; error?: Error }[]> {
    const out: { app: string; error?: Error }[] = [];
    for (const name of await findAppsWithSharedAliases(this.ctx.docker)) {
      if (!(await this.ctx.store.exists(name))) continue;
      // One being removed is not redeployed: its removal takes the stack away.
      if ((await this.ctx.store.read(name)).state === 'removing') continue;
      await this.read(name)
        .then(async (record) => this.deploy(await this.compile(record, record.domains)))
        .then(
          () => out.push({ app: name }),
          (error: Error) => out.push({ app: name, error }),
        );
    }
    return out;
  }

  /**
   * The record of an app to change (refused while it is being removed), its env values moved
   * to the secrets dir first if it still held them.
   */
  private async read(name: string): Promise<AppRecord> {
    const stored = await this.ctx.store.readStored(name);
    assertNotRemoving(stored.record);
    return moveLegacyEnv(this.ctx, stored);
  }

  /**
   * Moves the env values that records written by an earlier version hold into the secrets
   * dir (the API runs this at start-up). Resolves, per app moved or refused, what happened.
   */
  async upgradeStoredEnv(): Promise<{ app: string; error?: Error }[]> {
    const out: { app: string; error?: Error }[] = [];
    for (const name of await this.ctx.store.names()) {
      const stored = await this.ctx.store.readStored(name).catch(() => undefined);
      if (stored?.legacyEnv === undefined) continue;
      await moveLegacyEnv(this.ctx, stored).then(
        () => out.push({ app: name }),
        (error: Error) => out.push({ app: name, error }),
      );
    }
    return out;
  }

  /** Every deploy of an app goes through here. */
  private deploy(
    stack: CompiledStack,
    options: Pick<DeployOptions, 'throwOnFailure' | 'inputs' | 'onApplied'> = {},
  ): Promise<DeployResult> {
    return deployStack(stack.name, composeOfCompiled(stack), {
      docker: this.ctx.docker,
      registryAuth: this.ctx.registryAuth,
      timeoutMs: this.ctx.deployTimeoutMs ?? 180_000,
      // On the shared networks an app's services answer only to <app>_<service>: a bare `web`
      // there would answer for every app, a runner `mariadb` for the platform's database.
      shortNamesOnExternalNetworks: false,
      ...options,
    });
  }

  /** Which of `needs` have data under the app's name already (kept, or left by a failed purge). */
  private async existingData(name: string, needs: readonly NeedName[]): Promise<ExistingData[]> {
    const found: ExistingData[] = [];
    for (const need of needs) {
      const { shares } = needKind(need);
      // An idle service holds no app's data: nothing to find, and no reason to start it.
      if (await this.demand.idle(needKind(need))) continue;
      if (await shares.exists(this.ctx, name)) found.push({ need, what: shares.describe(this.ctx, name) });
    }
    return found;
  }

  /** Drops the old data a plan says to (purgeOld), before anything is created fresh. */
  private async dropOld(name: string, plan: KeptDataPlan, progress: Progress): Promise<void> {
    for (const need of plan.drop) {
      progress(`dropping the old ${need} of ${name}`);
      await this.dropNeed(name, need);
    }
  }

  /**
   * Creates the needs not yet there. Something that already existed (data the operator chose
   * to adopt) is re-keyed and reused, and is never dropped by an undo.
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
      const kind = needKind(need);
      const existed = await kind.shares.exists(this.ctx, name);
      const secret = kind.credentials ? (out[need] ??= generateSecret()) : undefined;
      await kind.shares.ensure(this.ctx, name, secret);
      if (!existed) undo.push(() => kind.shares.drop(this.ctx, name));
    }
    return out;
  }

  private async dropNeed(name: string, need: NeedName): Promise<void> {
    if (await this.demand.idle(needKind(need))) return;
    await needKind(need).shares.drop(this.ctx, name);
  }

  private credentialsEnv(name: string, needs: NeedName[], secrets: AppSecrets): Sensitive<string> {
    return appEnvFile(this.ctx, name, needs, secrets);
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
    const stack = await this.compile(record, record.domains);
    await this.deploy(stack);
    await this.ctx.store.write({ ...record, updatedAt: new Date().toISOString() }, { stackYaml: stack.yaml });
    await this.route();
    return this.show(record.name);
  }

  /**
   * Narrows the apps' database grants to their own databases, in place (grants of earlier
   * versions reached databases whose names differ only where `_` stands); the API runs it
   * at start-up. Resolves the users whose grants changed.
   */
  async repairDatabaseGrants(): Promise<readonly RepairedDatabaseGrant[]> {
    // An idle MariaDB has no app's user to repair.
    if (await this.demand.idle(needKind('database'))) return [];
    return this.ctx.database.repairGrants();
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
    const acme = { acme: this.ctx.acmeOn ?? false };
    for (const r of routing.routes) for (const d of r.domains) certs.set(d, await this.ctx.certificates.get(d, acme));
    for (const host of this.ctx.platformHosts ?? []) certs.set(host, await this.ctx.certificates.get(host, acme));
    await this.ctx.proxy.apply(
      routing.routes.map((r) => ({ ...r, addresses: addresses.get(r.upstream) ?? [] })),
      certs,
    );
    this.routed = { routing, addresses: addressKey(addresses) };
    for (const listener of this.routedListeners) listener();
  }

  /** Every app in the store that serves http, on all its domains. */
  private async routing(): Promise<Routing> {
    const routing: Routing = { routes: [], targets: [] };
    for (const r of await this.ctx.store.list()) {
      // An app being removed is no longer served (its domains are not free yet: see checkDomainsFree).
      if (r.state === 'removing') continue;
      const port = httpPort(r.manifest);
      if (port === undefined) continue;
      // A compose app's routed service, kept in its record; a manifest app's web.
      const upstream = `${r.name}_${routedServiceOf(r)}`;
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

/** A deploy's inputs with the env file given, not read from disk. */
function envFileInputs(stack: CompiledStack, envFile: Sensitive<string>): StackInputs {
  return { envFiles: stack.credentialsFile ? { [stack.credentialsFile]: envFile.reveal() } : {}, files: {} };
}

/** What of a record the proxy's routes depend on, to tell whether a change needs a re-route. */
function routeKey(r: AppRecord): string {
  return JSON.stringify([r.domains, httpPort(r.manifest), routedServiceOf(r), r.manifest.healthcheck?.http]);
}

function httpPort(manifest: Manifest): number | undefined {
  return manifest.expose.find((e) => e.proto === 'http')?.port;
}
