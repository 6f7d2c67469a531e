import { NotYet, StackUnsupported } from './schema-parts.js';

// Service keys of docker's 3.x schema that minicloud does not convert. Each is an error that
// names the key and says why, rather than a key silently dropped.

const use = (alternative: string) => StackUnsupported(`use ${alternative}`);

export const UNSUPPORTED_SERVICE_KEYS = {
  // Keys docker ignores or refuses in stack deploy (docker/cli cli/compose/types/types.go).
  build: StackUnsupported(),
  depends_on: StackUnsupported('swarm starts services in any order; use healthchecks and retries'),
  container_name: StackUnsupported('swarm names the containers of a service itself'),
  restart: use('deploy.restart_policy'),
  links: use('networks'),
  external_links: use('networks'),
  expose: StackUnsupported('services on a shared network reach each other on every port'),
  network_mode: StackUnsupported(),
  privileged: StackUnsupported(),
  devices: StackUnsupported(),
  security_opt: StackUnsupported(),
  shm_size: StackUnsupported(),
  ipc: StackUnsupported(),
  pid: StackUnsupported(),
  userns_mode: StackUnsupported(),
  cgroup_parent: StackUnsupported(),
  cgroupns_mode: StackUnsupported(),
  domainname: StackUnsupported(),
  mac_address: StackUnsupported(),
  extends: StackUnsupported(),
  volume_driver: use('a top-level volume with a driver'),
  volumes_from: use('a top-level volume shared by the services'),
  cpu_quota: use('deploy.resources'),
  cpu_shares: use('deploy.resources'),
  cpuset: use('deploy.resources'),
  mem_limit: use('deploy.resources'),
  memswap_limit: use('deploy.resources'),
  tmpfs: use('a volume with type: tmpfs'),
  // Keys docker converts that minicloud does not yet.
  logging: NotYet(),
  dns: NotYet(),
  dns_search: NotYet(),
  extra_hosts: NotYet(),
  sysctls: NotYet(),
  ulimits: NotYet(),
  stop_signal: NotYet(),
  stdin_open: NotYet(),
  isolation: NotYet(),
  credential_spec: NotYet(),
  oom_score_adj: NotYet(),
};
