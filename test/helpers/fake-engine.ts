import tar from 'tar-stream';
import type Docker from 'dockerode';

// Just enough of the Docker Engine API for the app lifecycle to add, update and remove apps in
// memory: images carrying a cloud manifest, networks, and services whose tasks run at once
// (every test image has a healthcheck, so one look proves it). What the services' specs hold
// is what a test inspects: the environment a deploy gave the containers, say.

interface Service {
  ID: string;
  Version: { Index: number };
  Spec: Record<string, unknown> & { Name: string; Labels?: Record<string, string> };
  UpdateStatus?: { State: string; StartedAt: string; Message?: string };
  previous?: Service['Spec'];
}

function notFound(what: string): Error {
  return Object.assign(new Error(`no such ${what}`), { statusCode: 404 });
}

function labelled(filters: unknown, labels: Record<string, string> | undefined): boolean {
  const wanted = (filters as { label?: string[] } | undefined)?.label ?? [];
  return wanted.every((l) => {
    const [k, v] = l.split('=') as [string, string | undefined];
    return labels?.[k] !== undefined && (v === undefined || labels[k] === v);
  });
}

export class FakeEngine {
  /** Image reference -> its cloud_manifest.yml. */
  readonly images = new Map<string, string>();
  readonly services = new Map<string, Service>();
  readonly networks = new Map<string, { Id: string; Name: string; Labels: Record<string, string> }>();
  /** Named volumes: name -> labels (a deploy makes its stack's; a test may put others). */
  readonly volumes = new Map<string, Record<string, string>>();
  /** The next update of a service's tasks fails its healthcheck and is rolled back. */
  rollBackNext = false;
  #ids = 0;

  constructor() {
    // The platform's shared networks, made by the installer.
    for (const name of ['minicloud-proxy', 'minicloud-services'])
      this.networks.set(name, { Id: this.id(), Name: name, Labels: {} });
  }

  private id(): string {
    return `id${++this.#ids}`.padEnd(25, '0');
  }

  /** The environment a service's containers get: `KEY=value` lines, sorted. */
  env(service: string): string[] {
    const spec = this.services.get(service)?.Spec as { TaskTemplate?: { ContainerSpec?: { Env?: string[] } } };
    return spec?.TaskTemplate?.ContainerSpec?.Env ?? [];
  }

  private service(idOrName: string): Service {
    const s = this.services.get(idOrName) ?? [...this.services.values()].find((x) => x.ID === idOrName);
    if (!s) throw notFound(`service ${idOrName}`);
    return s;
  }

  private tasks(s: Service) {
    const replicas = (s.Spec as { Mode?: { Replicated?: { Replicas?: number } } }).Mode?.Replicated?.Replicas ?? 1;
    return Array.from({ length: replicas }, (_, i) => ({
      ID: `${s.ID}t${i}`,
      ServiceID: s.ID,
      NodeID: 'node1',
      DesiredState: 'running',
      Status: { State: 'running' },
      CreatedAt: new Date().toISOString(),
      UpdatedAt: new Date().toISOString(),
      Spec: { ContainerSpec: { Image: '' } },
    }));
  }

  docker(): Docker {
    // Arrow functions throughout: `this` is the engine in every one.
    const fake = {
      modem: { followProgress: () => undefined },
      getImage: (ref: string) => ({
        inspect: async () => {
          if (!this.images.has(ref)) throw notFound(`image ${ref}`);
          return { Id: ref };
        },
      }),
      pull: async (ref: string) => {
        throw notFound(`image ${ref}`);
      },
      createContainer: async ({ Image }: { Image: string }) => ({
        getArchive: async ({ path }: { path: string }) => {
          const text = this.images.get(Image);
          if (path !== '/cloud_manifest.yml' || text === undefined) throw notFound(path);
          const archive = tar.pack();
          archive.entry({ name: 'cloud_manifest.yml' }, text);
          archive.finalize();
          return archive;
        },
        remove: async () => undefined,
      }),
      listServices: async (options?: { filters?: unknown }) =>
        [...this.services.values()].filter((s) => labelled(options?.filters, s.Spec.Labels)),
      listNetworks: async (options?: { filters?: unknown }) =>
        [...this.networks.values()].filter((n) => labelled(options?.filters, n.Labels)),
      listSecrets: async () => [],
      listConfigs: async () => [],
      listVolumes: async (options?: { filters?: unknown }) => ({
        Volumes: [...this.volumes]
          .filter(([, labels]) => labelled(options?.filters, labels))
          .map(([Name, Labels]) => ({ Name, Labels })),
      }),
      createVolume: async (spec: { Name: string; Labels?: Record<string, string> }) => {
        this.volumes.set(spec.Name, spec.Labels ?? {});
      },
      getVolume: (name: string) => ({
        remove: async () => {
          if (!this.volumes.delete(name)) throw notFound(`volume ${name}`);
        },
      }),
      // By service (stack status), or by the stack's label (what removeStack waits to go).
      listTasks: async (options: { filters: { service?: string[]; label?: string[] } }) =>
        options.filters.service
          ? this.tasks(this.service(options.filters.service[0]!))
          : [...this.services.values()]
              .filter((s) => labelled({ label: options.filters.label }, s.Spec.Labels))
              .flatMap((s) => this.tasks(s)),
      createNetwork: async (spec: { Name: string; Labels?: Record<string, string> }) => {
        this.networks.set(spec.Name, { Id: this.id(), Name: spec.Name, Labels: spec.Labels ?? {} });
      },
      getNetwork: (id: string) => ({
        remove: async () => {
          for (const [name, n] of this.networks) if (n.Id === id) this.networks.delete(name);
        },
      }),
      createService: async (_auth: unknown, spec: Service['Spec']) => {
        this.services.set(spec.Name, { ID: this.id(), Version: { Index: 1 }, Spec: spec });
      },
      getService: (idOrName: string) => ({
        inspect: async () => this.service(idOrName),
        remove: async () => {
          this.services.delete(this.service(idOrName).Spec.Name);
        },
        update: async (_auth: unknown, { _body }: { _body: Service['Spec'] }) => {
          const s = this.service(idOrName);
          const StartedAt = new Date().toISOString();
          s.Version.Index++;
          if (this.rollBackNext) {
            this.rollBackNext = false;
            s.UpdateStatus = { State: 'rollback_completed', StartedAt, Message: 'update rolled back: unhealthy' };
            return;
          }
          s.Spec = _body;
          s.UpdateStatus = { State: 'completed', StartedAt };
        },
      }),
    };
    return fake as unknown as Docker;
  }
}
