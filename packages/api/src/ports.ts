import type { Manifest, NodeSummary, Progress, ServiceStatus } from '@minicloud/core';

// What the API needs from the platform besides the app lifecycle (`Apps`, from core). Each is
// a small interface: the server passes adapters over core and the Docker Engine
// (./adapters.ts), and route tests pass fakes. A port left out answers 503 MC_UNAVAILABLE.

export interface NodesPort {
  list(): Promise<NodeSummary[]>;
  /** The command a new worker runs to join (it holds credentials: admin only). */
  joinCommand(): Promise<string>;
  /** Throws MC_NODE_NOT_FOUND for an unknown id. */
  setLabels(id: string, labels: Record<string, string | null>): Promise<void>;
  setAvailability(id: string, availability: 'active' | 'pause' | 'drain'): Promise<void>;
}

export interface RegistryImage {
  repository: string;
  tag: string;
  digest: string;
  created?: string;
  size: number;
  /** Blob digests and sizes, to count shared layers once. */
  blobs: { digest: string; size: number }[];
}

export interface RegistryPort {
  /** Every tag of every repository of the private registry. */
  list(): Promise<RegistryImage[]>;
}

export interface StackServiceReport {
  name: string;
  state: string;
  running: number;
  desired: number;
  reason?: string;
}

export interface StacksPort {
  /** Deploys a raw compose file (no variables substituted from the server's environment). */
  deploy(
    name: string,
    composeText: string,
    options: { prune: boolean },
    progress: Progress,
  ): Promise<{ actions: string[]; services: StackServiceReport[] }>;
  /** Empty when no such stack. */
  status(name: string): Promise<ServiceStatus[]>;
  /** Names of what was removed; throws MC_STACK_NOT_FOUND. */
  remove(name: string): Promise<string[]>;
}

export interface ImagesPort {
  /** Reads an image's cloud manifest without deploying anything (the "preview" of an add). */
  manifest(image: string): Promise<{ manifest: Manifest; text: string; file: string }>;
}

export interface LogLine {
  service: string;
  line: string;
}

export interface LogsPort {
  /** The last `tail` lines of each of the app's services, oldest first. */
  appLogs(app: string, tail: number): Promise<LogLine[]>;
}
