// The subset of the compose file format (version 3.8) that minicloud writes and reads.
// Field names are the compose file's own, so an object of these types dumps to YAML that
// `docker stack deploy` accepts unchanged.

export interface ComposeHealthcheck {
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
}

export interface ComposePort {
  target: number;
  published?: number;
  protocol?: 'tcp' | 'udp';
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

export interface ComposeService {
  image?: string;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string>;
  env_file?: string[];
  networks?: Record<string, { aliases?: string[] } | null>;
  ports?: ComposePort[];
  volumes?: ComposeVolumeMount[];
  healthcheck?: ComposeHealthcheck;
  labels?: Record<string, string>;
  deploy?: ComposeDeploy;
}

export interface ComposeNetwork {
  external?: boolean;
  name?: string;
  driver?: string;
  attachable?: boolean;
  internal?: boolean;
  labels?: Record<string, string>;
}

export interface ComposeFile {
  version: '3.8';
  services: Record<string, ComposeService>;
  networks?: Record<string, ComposeNetwork>;
  volumes?: Record<string, Record<string, unknown>>;
}
