import { Duplex } from 'node:stream';
import {
  checkAddOrigin,
  composeRecordFields,
  NEED_KINDS,
  NEED_NAMES,
  addRetryHint,
  assertNotRemoving,
  attachRetryHint,
  keptDataPlan,
  MinicloudError,
  removalLeft,
  removeIncomplete,
  removingError,
  startRemoval,
  type KeptDataChoice,
  type AddAppInput,
  type AppLogLine,
  type ExecEvent,
  type AppRecord,
  type Apps,
  type AppStatus,
  type DomainCertificate,
  type Manifest,
  type NeedName,
  type NodeSummary,
  type Progress,
  type SharedServiceStatus,
  type StatsSample,
  type UpdateAppInput,
  type UpdateResult,
} from '@minicloud/core';
import type {
  ExecPort,
  ImagesPort,
  LogsPort,
  NodesPort,
  RegistryImage,
  RegistryPort,
  StacksPort,
  StatsPort,
} from '@minicloud/api';

// Stand-ins for the platform, for route tests, the browser test and the benchmark: they keep
// state in memory and raise the same coded errors the real implementations do.

export function manifestFor(name: string, needs: NeedName[] = []): Manifest {
  return {
    name,
    expose: [{ proto: 'http', port: 80 }],
    needs,
    env: {},
    runners: [],
    healthcheck: { http: '/health', interval: '30s' },
    resources: { memory: '64M' },
    storage: { path: '/data' },
  };
}

export interface FakeAppsOptions {
  baseDomain?: string;
  /** Image -> manifest; an image not listed has no manifest (MC_MANIFEST_NOT_FOUND). */
  images?: Record<string, Manifest>;
  /** Called after an add: the browser test starts a small HTTP server that "is" the app. */
  onAdd?: (record: AppRecord) => Promise<string[] | void>;
  /** Delay of each step of a long operation, to watch jobs run. */
  stepMs?: number;
}

export class FakeApps implements Apps {
  readonly records = new Map<string, AppRecord>();
  readonly extraUrls = new Map<string, string[]>();
  readonly calls: string[] = [];
  /** Needs whose purge fails (the database server is down, say). */
  readonly failPurge = new Set<NeedName>();
  /** Apps whose updates fail their healthcheck and are rolled back (nothing changes). */
  readonly rollBack = new Set<string>();
  /** Data left under an app's name with no app using it (a remove without purge), as core finds it. */
  readonly keptData = new Map<string, Set<NeedName>>();
  /** Compose apps' files as last added or updated, as core keeps them beside the record. */
  readonly composeFiles = new Map<string, string>();
  readonly baseDomain: string;
  readonly images: Record<string, Manifest>;

  constructor(private readonly options: FakeAppsOptions = {}) {
    this.baseDomain = options.baseDomain ?? 'minicloud.localhost';
    this.images = options.images ?? {};
  }

  private async step(progress: Progress | undefined, text: string): Promise<void> {
    progress?.(text);
    if (this.options.stepMs) await new Promise((r) => setTimeout(r, this.options.stepMs));
  }

  private record(name: string): AppRecord {
    const r = this.records.get(name);
    if (!r) throw new MinicloudError('MC_APP_NOT_FOUND', `no app named ${name}`);
    return r;
  }

  /** An app to change: refused while it is being removed, as core does. */
  private changeable(name: string): AppRecord {
    const r = this.record(name);
    assertNotRemoving(r);
    return r;
  }

  /** Core's decision on data an earlier app of the name left. */
  private keptPlan(name: string, needs: readonly NeedName[], choice: KeptDataChoice, retry: string) {
    const kept = this.keptData.get(name) ?? new Set();
    const existing = needs.filter((n) => kept.has(n)).map((need) => ({ need, what: `${need} of ${name}` }));
    const plan = keptDataPlan(name, existing, choice, retry);
    for (const n of [...plan.drop, ...plan.adopt]) kept.delete(n);
    return plan;
  }
  /** What show() reports of an app's certificates, when set (issue 12). */
  readonly certificates = new Map<string, NonNullable<AppStatus['certificates']>>();

  status(r: AppRecord): AppStatus {
    return {
      ...r,
      ...(this.certificates.has(r.name) ? { certificates: this.certificates.get(r.name)! } : {}),
      urls: [...r.domains.map((d) => `https://${d}/`), ...(this.extraUrls.get(r.name) ?? [])],
      health: r.replicas === 0 ? 'down' : 'healthy',
      services: [
        {
          name: `${r.name}_web`,
          id: `svc${r.name}`,
          desired: r.replicas,
          running: r.replicas,
          image: r.image,
          tasks: Array.from({ length: r.replicas }, (_, i) => ({
            id: `task${i}${r.name}`.padEnd(25, '0'),
            node: 'node1'.padEnd(25, '0'),
            desiredState: 'running',
            state: 'running',
            image: r.image,
            updatedAt: r.updatedAt,
          })),
        },
      ],
    };
  }

  private domainOwner(domain: string): string | undefined {
    for (const r of this.records.values()) if (r.domains.includes(domain)) return r.name;
    return undefined;
  }

  /** Puts an app in place directly (the benchmark's 100 apps). */
  seed(name: string, image = `registry.example.com/${name}:1`): AppStatus {
    const now = new Date().toISOString();
    const record: AppRecord = {
      name,
      state: 'active',
      image,
      domains: [`${name}.${this.baseDomain}`],
      envKeys: [],
      replicas: 1,
      needs: [],
      manifest: manifestFor(name),
      createdAt: now,
      updatedAt: now,
    };
    this.records.set(name, record);
    return this.status(record);
  }

  /** What core takes from the origin: a compose file's fields, or the image's manifest. */
  private origin(input: AddAppInput): Pick<AppRecord, 'image' | 'manifest' | 'source'> & { extra: string[] } {
    const app = checkAddOrigin(input);
    if (app) return { ...composeRecordFields(app, input.name!), extra: app.domains };
    const image = input.image!;
    const manifest = this.images[image] ?? this.images[image.replace(/:[^:/]+$/, '')];
    if (!manifest) throw new MinicloudError('MC_MANIFEST_NOT_FOUND', `image ${image} has no cloud manifest`);
    return { image, manifest: { ...manifest, name: input.name ?? manifest.name }, extra: [] };
  }

  async add(input: AddAppInput, progress?: Progress): Promise<AppStatus> {
    this.calls.push(`add ${input.image ?? `compose ${input.name}`}`);
    if (input.image !== undefined) await this.step(progress, `reading the manifest of ${input.image}`);
    const { extra, ...fields } = this.origin(input);
    const manifest = fields.manifest;
    const name = manifest.name;
    const before = this.records.get(name);
    if (before?.state === 'removing') throw removingError(before);
    if (before) throw new MinicloudError('MC_APP_EXISTS', `an app named ${name} exists already`);
    const domains = [...new Set([`${name}.${this.baseDomain}`, ...extra, ...(input.domains ?? [])])];
    for (const d of domains) {
      const owner = this.domainOwner(d);
      if (owner)
        throw new MinicloudError('MC_DOMAIN_TAKEN', `${d} is routed to ${owner}`, [
          { path: 'domains', message: `${d} is taken` },
        ]);
    }
    const plan = this.keptPlan(name, ['database', 'messagebus', 'storage'], input, addRetryHint());
    for (const need of plan.drop) await this.step(progress, `dropping the old ${need}`);
    for (const need of manifest.needs) await this.step(progress, `creating the ${need}`);
    await this.step(progress, 'deploying the stack');
    const now = new Date().toISOString();
    const record: AppRecord = {
      name,
      state: 'active',
      ...fields,
      domains,
      envKeys: Object.keys(input.env ?? {}).sort(),
      replicas: input.replicas ?? 1,
      needs: [...manifest.needs],
      createdAt: now,
      updatedAt: now,
    };
    this.records.set(name, record);
    if (input.compose !== undefined) this.composeFiles.set(name, input.compose);
    const urls = await this.options.onAdd?.(record);
    if (urls) this.extraUrls.set(name, urls);
    await this.step(progress, 'routing the domains');
    return this.status(record);
  }

  async list(): Promise<AppStatus[]> {
    return [...this.records.values()].map((r) => this.status(r));
  }

  async show(name: string): Promise<AppStatus> {
    return this.status(this.record(name));
  }

  async composeFile(name: string): Promise<string> {
    const file = this.composeFiles.get(this.record(name).name);
    if (file === undefined) throw new MinicloudError('MC_APP_NOT_FOUND', `app ${name} was added from an image`);
    return file;
  }

  async update(name: string, input: UpdateAppInput, progress?: Progress): Promise<UpdateResult> {
    this.calls.push(`update ${name} ${JSON.stringify(input)}`);
    const r = this.changeable(name);
    await this.step(progress, 'deploying the new version');
    if (this.rollBack.has(name))
      return { app: this.status(r), rolledBack: true, reason: 'web: task exited (exit code 1)' };
    const env = new Set(r.envKeys);
    for (const [k, v] of Object.entries(input.env ?? {})) {
      if (v === null) env.delete(k);
      else env.add(k);
    }
    const next: AppRecord = {
      ...r,
      image: input.image ?? r.image,
      replicas: input.replicas ?? r.replicas,
      envKeys: [...env].sort(),
      updatedAt: new Date().toISOString(),
    };
    if (input.followTag !== undefined) next.followTag = input.followTag;
    this.records.set(name, next);
    if (input.compose !== undefined) this.composeFiles.set(name, input.compose);
    return { app: this.status(next), rolledBack: false };
  }

  async remove(name: string, options: { purge?: boolean } = {}, progress?: Progress): Promise<void> {
    this.calls.push(`remove ${name} purge=${options.purge ?? false}`);
    // As core does: removing from the start; a purge step that fails leaves the record so,
    // naming what is left.
    const r = startRemoval(this.record(name), options.purge ?? false);
    this.records.set(name, r);
    await this.step(progress, 'removing the stack');
    const left = r.removal?.purge
      ? r.needs.filter((n) => this.failPurge.has(n)).map((part) => ({ part, reason: 'MC_DATABASE: lost connection' }))
      : [];
    if (left.length > 0) {
      this.records.set(name, removalLeft(r, left));
      throw removeIncomplete(r, left);
    }
    if (!r.removal?.purge) this.keptData.set(name, new Set(r.needs));
    this.records.delete(name);
  }

  async addDomain(name: string, domain: string, certificate?: DomainCertificate): Promise<AppStatus> {
    this.calls.push(`addDomain ${name} ${domain}${certificate ? ' with certificate' : ''}`);
    const r = this.changeable(name);
    if (r.domains.includes(domain) && !certificate) return this.status(r);
    const owner = r.domains.includes(domain) ? undefined : this.domainOwner(domain);
    if (owner)
      throw new MinicloudError('MC_DOMAIN_TAKEN', `${domain} is routed to ${owner}`, [
        { path: 'domain', message: 'is taken' },
      ]);
    if (certificate && !certificate.certificatePem.includes('BEGIN CERTIFICATE'))
      throw new MinicloudError('MC_CERT_INVALID', 'the certificate is not a PEM X.509 certificate', [
        { path: 'certificate', message: 'is not a PEM certificate' },
      ]);
    const next = r.domains.includes(domain) ? r : { ...r, domains: [...r.domains, domain] };
    this.records.set(name, next);
    return this.status(next);
  }

  async removeDomain(name: string, domain: string): Promise<AppStatus> {
    const r = this.changeable(name);
    if (!r.domains.includes(domain))
      throw new MinicloudError('MC_DOMAIN_NOT_FOUND', `app ${name} has no domain ${domain}`, [
        { path: 'domain', message: 'is not routed to this app' },
      ]);
    const next = { ...r, domains: r.domains.filter((d) => d !== domain) };
    this.records.set(name, next);
    return this.status(next);
  }

  async restart(name: string, options: { runner?: string } = {}, progress?: Progress): Promise<AppStatus> {
    this.calls.push(`restart ${name}${options.runner ? ` ${options.runner}` : ''}`);
    const r = this.changeable(name);
    if (options.runner !== undefined && options.runner !== 'web')
      throw new MinicloudError('MC_RUNNER_NOT_FOUND', `app ${name} has no runner ${options.runner}`, [
        { path: 'runner', message: 'must be one of web' },
      ]);
    await this.step(progress, 'restarting web');
    return this.status(r);
  }

  async attachNeed(name: string, need: NeedName, progress?: Progress, choice: KeptDataChoice = {}): Promise<AppStatus> {
    this.calls.push(`attachNeed ${name} ${need}${choice.adopt ? ' adopt' : ''}${choice.purgeOld ? ' purgeOld' : ''}`);
    const r = this.changeable(name);
    if (r.needs.includes(need)) return this.status(r);
    this.keptPlan(name, [need], choice, attachRetryHint(name, need));
    await this.step(progress, `creating the ${need}`);
    await this.step(progress, 'redeploying with its credentials');
    const next = { ...r, needs: NEED_NAMES.filter((n) => n === need || r.needs.includes(n)) };
    this.records.set(name, next);
    return this.status(next);
  }

  async detachNeed(
    name: string,
    need: NeedName,
    options: { purge?: boolean } = {},
    progress?: Progress,
  ): Promise<AppStatus> {
    this.calls.push(`detachNeed ${name} ${need} purge=${options.purge ?? false}`);
    const r = this.changeable(name);
    if (r.manifest.needs.includes(need))
      throw new MinicloudError('MC_NEED_INVALID', `the manifest of ${name} needs ${need}`, [
        { path: 'need', message: 'is in the manifest' },
      ]);
    await this.step(progress, `detaching the ${need}`);
    const next = { ...r, needs: r.needs.filter((n) => n !== need) };
    this.records.set(name, next);
    return this.status(next);
  }

  /** The fake's services are idle the moment no record needs them: nothing is left to stop. */
  async settleServices(): Promise<string[]> {
    return [];
  }

  /** Each kind's service runs while a record needs it, and is idle otherwise. */
  async sharedServices(): Promise<SharedServiceStatus[]> {
    return NEED_KINDS.flatMap((kind) => {
      if (!kind.service) return [];
      const apps = [...this.records.values()].filter((r) => r.needs.includes(kind.name)).map((r) => r.name);
      return [{ service: kind.service.name, needs: [kind.name], state: apps.length > 0 ? 'running' : 'idle', apps }];
    });
  }
}

export function fakeNodes(): NodesPort & { nodes: NodeSummary[] } {
  const nodes: NodeSummary[] = [
    {
      id: 'mgr1abcdef012345',
      hostname: 'vm',
      role: 'manager',
      state: 'ready',
      availability: 'active',
      address: '10.0.0.1',
      leader: true,
      labels: {},
    },
    {
      id: 'wrk1abcdef012345',
      hostname: 'w1',
      role: 'worker',
      state: 'ready',
      availability: 'active',
      address: '10.0.0.2',
      leader: false,
      labels: { zone: 'a' },
    },
  ];
  const find = (id: string) => {
    const n = nodes.find((x) => x.id === id);
    if (!n) throw new MinicloudError('MC_NODE_NOT_FOUND', `no node with id ${id}`);
    return n;
  };
  return {
    nodes,
    list: async () => nodes.map((n) => ({ ...n, labels: { ...n.labels } })),
    joinCommand: async () =>
      "curl -fsSL -o join-worker.sh 'http://10.0.0.1/.well-known/minicloud/join-worker.sh' && bash join-worker.sh --token 'SWMTKN-1-secret'",
    setLabels: async (id, labels) => {
      const n = find(id);
      for (const [k, v] of Object.entries(labels)) {
        if (v === null) delete n.labels[k];
        else n.labels[k] = v;
      }
    },
    setAvailability: async (id, availability) => {
      find(id).availability = availability;
    },
  };
}

export function fakeRegistry(): RegistryPort {
  const images: RegistryImage[] = [
    {
      repository: 'team/hello',
      tag: '1',
      digest: 'sha256:aa',
      size: 300,
      blobs: [
        { digest: 'l1', size: 200 },
        { digest: 'c1', size: 100 },
      ],
    },
    {
      repository: 'team/hello',
      tag: '2',
      digest: 'sha256:bb',
      size: 310,
      blobs: [
        { digest: 'l1', size: 200 },
        { digest: 'c2', size: 110 },
      ],
    },
    {
      repository: 'tools/db',
      tag: 'latest',
      digest: 'sha256:cc',
      created: '2026-01-01T00:00:00Z',
      size: 50,
      blobs: [{ digest: 'l9', size: 50 }],
    },
  ];
  return { list: async () => images };
}

export function fakeStacks(): StacksPort & { stacks: Map<string, string> } {
  const stacks = new Map<string, string>();
  return {
    stacks,
    deploy: async (name, text, _options, progress) => {
      if (!/services:/.test(text))
        throw new MinicloudError('MC_COMPOSE_INVALID', `stack ${name}: services is required`, [
          { path: 'services', message: 'is required' },
        ]);
      progress('deploying');
      const created = !stacks.has(name);
      stacks.set(name, text);
      return {
        actions: created ? [`create service ${name}_web`] : [],
        services: [{ name: `${name}_web`, state: 'converged', running: 1, desired: 1 }],
      };
    },
    status: async (name) =>
      stacks.has(name) ? [{ name: `${name}_web`, id: 'svc1', desired: 1, running: 1, image: 'nginx', tasks: [] }] : [],
    remove: async (name) => {
      if (!stacks.delete(name))
        throw new MinicloudError('MC_STACK_NOT_FOUND', `no stack named ${name} managed by minicloud`);
      return [`${name}_web`, `${name}_default`];
    },
  };
}

export function fakeImages(apps: FakeApps): ImagesPort {
  return {
    manifest: async (image) => {
      const manifest = apps.images[image] ?? apps.images[image.replace(/:[^:/]+$/, '')];
      if (!manifest)
        throw new MinicloudError('MC_MANIFEST_NOT_FOUND', `image ${image} has no cloud manifest at its root`);
      const text = `name: ${manifest.name}\nexpose: [{proto: http, port: 80}]\nneeds: [${manifest.needs.join(', ')}]\n`;
      return { manifest, text, file: 'cloud_manifest.yml' };
    },
  };
}

/** Three lines of `web.1`, and with follow one more per `tick` until the signal aborts. */
export function fakeLogs(apps: FakeApps, tickMs = 20): LogsPort {
  const line = (i: number): AppLogLine => ({
    time: new Date(Date.UTC(2026, 10, 26, 12, 0, i)).toISOString(),
    service: 'web',
    task: 'web.1',
    node: 'mc-mgr',
    stream: 'stdout',
    line: `GET / 200 <request ${i}>`,
  });
  return {
    appLogs: async (app, options) => {
      await apps.show(app);
      return Array.from({ length: Math.min(options.tail ?? 200, 3) }, (_, i) => line(i));
    },
    followLogs: async function* (app, options) {
      await apps.show(app);
      for (let i = 0; !options.signal.aborted; i++) {
        yield line(i);
        await new Promise((r) => setTimeout(r, tickMs));
      }
    },
  };
}

/**
 * Exec over the fake apps: `echo ARGS` writes them to stdout, `fail CODE` writes to stderr and
 * exits CODE, runner `idle` has no running task; each call is recorded as `app: command`.
 */
export function fakeExec(apps: FakeApps): ExecPort & { calls: string[]; resizes: string[] } {
  const calls: string[] = [];
  const resizes: string[] = [];
  return {
    calls,
    resizes,
    // A terminal that answers what it is sent in capitals and ends at Ctrl-D, with exit code 0
    // (or the number given as the command's first argument).
    open: async (app, command, options) => {
      await apps.show(app);
      calls.push(`${app}: -it ${command.join(' ')}`);
      let ended = false;
      const terminal = new Duplex({
        read() {},
        write(chunk: Buffer, _enc, done) {
          const text = chunk.toString();
          const eot = text.indexOf('\u0004');
          this.push((eot === -1 ? text : text.slice(0, eot)).toUpperCase());
          if (eot !== -1) {
            ended = true;
            this.push(null);
          }
          done();
        },
      });
      return {
        task: options.task ?? 'web.1',
        node: 'mc-w1',
        tty: true,
        attach: async () => terminal,
        resize: async (rows, cols) => void resizes.push(`${rows}x${cols}`),
        exitCode: async () => (ended ? Number(command[1] ?? 0) : undefined),
      };
    },
    exec: async function* (app, command, options): AsyncGenerator<ExecEvent> {
      await apps.show(app);
      if (options.runner === 'idle')
        throw new MinicloudError('MC_TASK_NOT_RUNNING', `${app}: idle has no running task`);
      calls.push(`${app}: ${command.join(' ')}`);
      yield { kind: 'started', task: options.task ?? `${options.runner ?? 'web'}.1`, node: 'mc-w1' };
      if (command[0] === 'fail') {
        yield { kind: 'output', stream: 'stderr', text: 'it failed\n' };
        yield { kind: 'exit', exitCode: Number(command[1] ?? 1) };
        return;
      }
      yield { kind: 'output', stream: 'stdout', text: `${command.slice(1).join(' ')}\n` };
      yield { kind: 'exit', exitCode: 0 };
    },
  };
}

const MiB = 1024 * 1024;

/**
 * Stats of each task of a fake app (web.1, web.2 ... by its replicas), and an hour of samples
 * that rise and fall, so the charts have a shape; `failing` apps answer 502 as an engine would.
 */
export function fakeStats(
  apps: FakeApps,
  now: () => Date = () => new Date('2026-11-26T12:00:00Z'),
): StatsPort & {
  failing: Set<string>;
} {
  const failing = new Set<string>();
  return {
    failing,
    appStats: async (app, options) => {
      const record = await apps.show(app);
      if (failing.has(app)) throw new MinicloudError('MC_ENGINE', `read the stats of ${app}: engine unreachable`);
      if (options.runner !== undefined && options.runner !== 'web')
        throw new MinicloudError('MC_RUNNER_NOT_FOUND', `app ${app} has no runner ${options.runner}`, [
          { path: 'runner', message: 'must be one of web' },
        ]);
      const tasks = Array.from({ length: record.replicas }, (_, i) => ({
        service: 'web',
        task: `web.${i + 1}`,
        node: 'mc-mgr',
        restarts: i,
        cpuPercent: 12.5 + i,
        memoryBytes: (40 + i) * MiB,
        memoryLimitBytes: 64 * MiB,
        rxBytes: 1_500_000,
        txBytes: 3_200_000,
      }));
      const end = now().getTime();
      const history: StatsSample[] = Array.from({ length: 60 }, (_, i) => ({
        at: new Date(end - (59 - i) * 60_000).toISOString(),
        ...(i > 0 ? { cpuPercent: Math.round((10 + 8 * Math.sin(i / 6)) * 100) / 100 } : {}),
        memoryBytes: Math.round((40 + 10 * Math.cos(i / 9)) * MiB),
        memoryLimitBytes: 64 * MiB * record.replicas,
        rxBytes: i * 25_000,
        txBytes: i * 50_000,
        tasks: record.replicas,
      }));
      return { tasks, history };
    },
    serverFigures: async () => {
      const list = await apps.list();
      return {
        at: now().toISOString(),
        nodes: [
          {
            nodeId: 'mgr1abcdef0123456789',
            hostname: 'mc-mgr',
            totalBytes: 4096 * MiB,
            platformBytes: 900 * MiB,
            apps: list.map((a, i) => ({ app: a.name, bytes: (40 + i) * MiB })),
            otherBytes: 0,
          },
          {
            nodeId: 'wrk1abcdef012345',
            hostname: 'mc-w1',
            platformBytes: 0,
            apps: [],
            otherBytes: 0,
            error: 'node mc-w1 has no agent',
          },
        ],
        disk: {
          path: '/data/minicloud',
          totalBytes: 100 * 1024 * MiB,
          usedBytes: 30 * 1024 * MiB,
          freeBytes: 65 * 1024 * MiB,
          platformBytes: 12 * 1024 * MiB,
          apps: list.map((a, i) => ({ app: a.name, bytes: (i + 1) * 100 * MiB })),
          measuredAt: now().toISOString(),
        },
      };
    },
  };
}
