import type {
  AppBackupStatus,
  AppLogLine,
  AppLogOptions,
  AppExecOptions,
  ExecEvent,
  ExecSession,
  BackupPolicy,
  BackupPolicyInput,
  DiskUsage,
  FilesystemSpace,
  Manifest,
  NodeMemory,
  NodeSummary,
  Progress,
  ServiceStatus,
  StatsSample,
  TaskStats,
} from '@minicloud/core';

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

export interface LogsPort {
  /** The app's last lines (all services, or one), merged oldest first. */
  appLogs(app: string, options: AppLogOptions): Promise<AppLogLine[]>;
  /** The last lines, then each new one, until the signal aborts. */
  followLogs(app: string, options: AppLogOptions & { signal: AbortSignal }): AsyncIterable<AppLogLine>;
}

export interface ExecPort {
  /** A command in a running task of the app: which task, its output, then its exit code. */
  exec(app: string, command: string[], options: AppExecOptions): AsyncIterable<ExecEvent>;
  /** The same with stdin and a terminal, made but not started: the client attaches to it. */
  open(app: string, command: string[], options: AppExecOptions): Promise<ExecSession>;
}

export interface ServerFigures {
  at: string;
  nodes: NodeMemory[];
  /** The data dir's filesystem; absent without a data dir. */
  disk?: DiskUsage;
}

export interface StatsPort {
  /** The app's running tasks now (or one runner's) and the whole app's last hour; MC_RUNNER_NOT_FOUND. */
  appStats(app: string, options: { runner?: string }): Promise<{ tasks: TaskStats[]; history: StatsSample[] }>;
  /** Memory of each node and disk of the data dir, by the platform and by each app. */
  serverFigures(): Promise<ServerFigures>;
}

/** One backup folder of an app, as listed: complete (backup.json written) or not. */
export interface BackupSummary {
  app: string;
  id: string;
  /** When it started (its id), ISO 8601. */
  time: string;
  /** Only a complete backup (its backup.json written last) is restored or verified. */
  complete: boolean;
  trigger?: 'manual' | 'schedule';
  /** Its parts with their sizes as stored (none for an incomplete backup). */
  parts: { name: string; file: string; bytes: number }[];
  bytes: number;
  /** Why an incomplete backup is (interrupted or still running), or how backup.json is damaged. */
  reason?: string;
  damaged?: boolean;
}

export interface BackupRestoreReport {
  app: string;
  id: string;
  into: string;
  parts: string[];
  tables: { name: string; rows: number }[];
  files?: number;
  /** The backup taken of the target just before the restore. */
  previous?: string;
}

export interface BackupVerifyReport {
  app: string;
  id: string;
  verifiedAt: string;
  durationMs: number;
  tables: { name: string; rows: number }[];
  files?: number;
}

/** Backups of apps (core's backup engine). Every method throws MC_APP_NOT_FOUND for an unknown app. */
export interface BackupsPort {
  /** The app's backups, newest first, incomplete and damaged ones included (complete: false). */
  list(app: string): Promise<BackupSummary[]>;
  create(app: string, progress: Progress): Promise<BackupSummary>;
  /**
   * Restores `id` (or `latest`) into the app or `into`; throws MC_BACKUP_NOT_FOUND, and
   * MC_BACKUP_DAMAGED naming the part when a checksum differs (nothing is restored then).
   */
  restore(
    app: string,
    id: string,
    options: { into?: string; backupFirst?: boolean },
    progress: Progress,
  ): Promise<BackupRestoreReport>;
  /** Test-restores `id` (default the latest) into scratch places; MC_BACKUP_VERIFY on a mismatch. */
  verify(app: string, id: string | undefined, progress: Progress): Promise<BackupVerifyReport>;
  status(app: string): Promise<AppBackupStatus>;
  getPolicy(app: string): Promise<BackupPolicy>;
  /** Applies a change (fields left out keep their values); MC_BACKUP_POLICY_INVALID when wrong. */
  setPolicy(app: string, change: BackupPolicyInput): Promise<BackupPolicy>;
}

/** Free space of the filesystems the platform writes to (core's readDiskSpace over the data dir). */
export interface DiskSpacePort {
  read(): Promise<FilesystemSpace[]>;
}
