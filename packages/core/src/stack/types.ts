import type { Sensitive } from '../sensitive.js';

// The desired state of a stack as Engine API objects: what `docker stack deploy` would create,
// computed purely from a compose file. The planner diffs it against what the engine reports,
// and the applier turns the difference into API calls.

/** Label the docker CLI puts on every stack object; `docker stack ls/ps` find stacks by it. */
export const STACK_NAMESPACE_LABEL = 'com.docker.stack.namespace';
/** Hash of the desired service spec, so an unchanged re-deploy can skip the update entirely. */
export const SPEC_HASH_LABEL = 'minicloud.spec-hash';
/**
 * SHA-256 of a secret's or config's content. A swarm secret or config cannot change content
 * (only its labels), so this is how a re-deploy sees that the file behind one changed. Whoever
 * reads engine labels can already mount the secret in a service of theirs: the hash tells them nothing more.
 */
export const CONTENT_HASH_LABEL = 'minicloud.content-hash';

/** Engine API ServiceSpec (subset with the fields minicloud sets), in the API's own casing. */
export type ServiceSpec = Record<string, unknown> & {
  Name: string;
  Labels: Record<string, string>;
  TaskTemplate: Record<string, unknown>;
};

export interface DesiredNetwork {
  /** Engine name: `<stack>_<key>` unless `name:` or external says otherwise. */
  name: string;
  /** Key in the compose file's `networks:`. */
  key: string;
  external: boolean;
  /** NetworkCreate body (Name, Driver, Attachable, Internal, Labels, Options, IPAM). Absent when external. */
  create?: Record<string, unknown>;
}

export interface DesiredVolume {
  name: string;
  key: string;
  external: boolean;
  /** VolumeCreate body (Name, Driver, DriverOpts, Labels). Absent when external. */
  create?: Record<string, unknown>;
}

export interface DesiredSecretOrConfig {
  kind: 'secret' | 'config';
  name: string;
  key: string;
  external: boolean;
  labels: Record<string, string>;
  /** File contents; secrets stay wrapped so they cannot be logged. Absent when external. */
  data?: Sensitive<Buffer>;
}

export interface DesiredService {
  /** Full service name `<stack>_<key>`. */
  name: string;
  /** Key in the compose file's `services:`. */
  key: string;
  /**
   * ServiceSpec with secret/config references by name: their IDs are only known once the
   * applier has created or found them, so SecretID/ConfigID are filled in there.
   */
  spec: ServiceSpec;
  /** Stable hash of `spec` (also stored in its SPEC_HASH_LABEL). */
  hash: string;
}

export interface DesiredStack {
  name: string;
  networks: DesiredNetwork[];
  volumes: DesiredVolume[];
  secrets: DesiredSecretOrConfig[];
  configs: DesiredSecretOrConfig[];
  services: DesiredService[];
}

/**
 * What the conversion needs from outside the compose text, read beforehand by the effectful
 * loader: env_file contents and secret/config file contents, keyed by the path as written.
 */
export interface StackInputs {
  envFiles: Record<string, string>;
  files: Record<string, Buffer>;
  /**
   * The deploy's environment, for a bare `KEY` in environment or an env_file (docker reads the
   * CLI's own environment there). Absent: such a variable is passed without a value. Never
   * the API server's process.env by default, which holds the platform's own secrets.
   */
  env?: Record<string, string | undefined>;
}
