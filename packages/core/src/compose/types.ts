// The subset of the compose file format (version 3.x) that minicloud writes and reads.
// Field names are the compose file's own, so an object of these types dumps to YAML that
// `docker stack deploy` accepts unchanged. The compiler writes these shapes directly; a file a
// user wrote is loaded into them by compose/load.ts, which rewrites every short syntax into the
// long form shown here, so the stack converter only ever sees one shape per field.

export interface ComposeHealthcheck {
  /** A loaded file always has the list form: a string test becomes ['CMD-SHELL', test]. */
  test?: string[] | string;
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
  disable?: boolean;
}

export interface ComposeVolumeMount {
  type: 'bind' | 'volume' | 'tmpfs';
  source?: string;
  target: string;
  read_only?: boolean;
  bind?: { propagation?: 'rprivate' | 'private' | 'rshared' | 'shared' | 'rslave' | 'slave' };
  volume?: { nocopy?: boolean };
  tmpfs?: { size?: number };
}

export interface ComposePort {
  target: number;
  published?: number;
  protocol?: 'tcp' | 'udp' | 'sctp';
  mode?: 'host' | 'ingress';
}

export interface ComposeDeploy {
  mode?: 'replicated' | 'global';
  replicas?: number;
  endpoint_mode?: 'vip' | 'dnsrr';
  labels?: Record<string, string>;
  resources?: {
    limits?: { memory?: string; cpus?: string };
    reservations?: { memory?: string; cpus?: string };
  };
  restart_policy?: {
    condition?: 'none' | 'on-failure' | 'any';
    delay?: string;
    max_attempts?: number;
    window?: string;
  };
  update_config?: UpdateConfig;
  rollback_config?: UpdateConfig;
  placement?: { constraints?: string[]; preferences?: { spread: string }[]; max_replicas_per_node?: number };
}

export interface UpdateConfig {
  parallelism?: number;
  delay?: string;
  failure_action?: 'continue' | 'pause' | 'rollback';
  monitor?: string;
  max_failure_ratio?: number;
  order?: 'stop-first' | 'start-first';
}

/** A service's use of a top-level secret or config (the long syntax). */
export interface ComposeFileReference {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

export interface ComposeService {
  image?: string;
  command?: string | string[];
  entrypoint?: string | string[];
  /**
   * null is a bare `KEY` (list form) or `KEY:` (map form): docker takes its value from the
   * environment of the deploy, or passes the name alone when that has none.
   */
  environment?: Record<string, string | null>;
  env_file?: string[];
  networks?: Record<string, { aliases?: string[] } | null>;
  ports?: ComposePort[];
  volumes?: ComposeVolumeMount[];
  healthcheck?: ComposeHealthcheck;
  labels?: Record<string, string>;
  deploy?: ComposeDeploy;
  secrets?: ComposeFileReference[];
  configs?: ComposeFileReference[];
  working_dir?: string;
  user?: string;
  hostname?: string;
  stop_grace_period?: string;
  init?: boolean;
  tty?: boolean;
  read_only?: boolean;
  cap_add?: string[];
  cap_drop?: string[];
}

export interface ComposeNetwork {
  external?: boolean;
  name?: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  attachable?: boolean;
  internal?: boolean;
  labels?: Record<string, string>;
  ipam?: { driver?: string; config?: { subnet: string }[] };
}

export interface ComposeVolume {
  external?: boolean;
  name?: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  labels?: Record<string, string>;
}

/** A top-level secret or config: the contents of `file`, or an object that already exists. */
export interface ComposeFileObject {
  file?: string;
  external?: boolean;
  name?: string;
  labels?: Record<string, string>;
}

export interface ComposeFile {
  /** '3.8' from the compiler; a loaded file keeps the 3.x version it states. */
  version: string;
  services: Record<string, ComposeService>;
  networks?: Record<string, ComposeNetwork>;
  volumes?: Record<string, ComposeVolume>;
  secrets?: Record<string, ComposeFileObject>;
  configs?: Record<string, ComposeFileObject>;
}
