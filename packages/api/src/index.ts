export { buildApp, type AppOptions } from './app.js';
export { maskUrlCredentials, maskQuerySecrets } from './logger.js';
export { JobRunner, type JobRecord, type JobRunnerOptions } from './jobs.js';
export { TokenStore, TOKENS_FILE, type DeployTokenInfo } from './tokens.js';
export type { ExecPort } from './ports.js';
export type {
  ImagesPort,
  LogsPort,
  NodesPort,
  RegistryImage,
  RegistryPort,
  ServerFigures,
  StacksPort,
  StatsPort,
} from './ports.js';
export type { BackupsPort, BackupSummary, BackupRestoreReport, BackupVerifyReport } from './ports.js';
export type { DiskSpacePort } from './ports.js';
export {
  coreBackups,
  backupSummary,
  startBackupScheduler,
  schedulerEvents,
  schedulerLogger,
} from './backup-adapter.js';
export { dockerPorts, type DockerPortsOptions } from './adapters.js';
export { repositoryOf, sameRepository } from './routes/tokens.js';
export { problemOf, problemDocument, type ProblemDocument } from './problem.js';
export { TrustedProxy, plainAddress, type TrustedProxyOptions } from './trusted-proxy.js';
export { LoginLimit, clientKey, type LoginLimitOptions } from './login-limit.js';
export { openEvents, jobEvent, type EventsPort, type NotifyView } from './events.js';
