// Backups and restore (issue 7): per app its database, storage and vhost definitions; the
// platform's configuration and (encrypted) secrets; schedules, retention, a second location,
// test restores, and the status the API and the CLI show.
export { packDirectory, extractArchive, type ArchiveStats } from './archive.js';
export { checkParts } from './checksums.js';
export {
  backupContext,
  readBackupSettings,
  BACKUP_SETTINGS_FILE,
  type BackupContext,
  type BackupContextOptions,
  type BackupSettings,
} from './context.js';
export { copyBackup } from './copy.js';
export { refuseBackupOnCriticalDisk } from './disk-check.js';
export {
  createAppBackup,
  partsOf,
  writePart,
  APP_PARTS,
  APP_PART_FILES,
  type AppPartName,
  type CreateBackupOptions,
} from './create.js';
export { EncryptStream, DecryptStream, readBackupKey, generateBackupKey } from './encryption.js';
export { serviceContainer } from './service-container.js';
export { HashingStream, CountingStream, sha256File, gunzipFile } from './hash.js';
export {
  BackupManifestSchema,
  BackupPartSchema,
  TableRowsSchema,
  BACKUP_ID_PATTERN,
  BACKUP_MANIFEST_FILE,
  BACKUP_MANIFEST_FORMAT,
  BACKUP_PART_NAMES,
  validateBackupManifest,
  readBackupManifest,
  writeBackupManifest,
  backupIdOf,
  timeOfBackupId,
  type BackupManifest,
  type BackupPart,
  type BackupPartName,
  type TableRows,
} from './manifest.js';
export {
  MariaDbClient,
  appResourceName,
  MARIADB_SERVICE,
  MARIADB_PASSWORD_FILE,
  type MariaDbTarget,
} from './mariadb.js';
export {
  RabbitMqClient,
  RABBITMQ_SERVICE,
  RABBITMQ_PASSWORD_FILE,
  type RabbitMqTarget,
  type VhostDefinitions,
} from './messagebus.js';
export {
  createPlatformBackup,
  extractPlatformBackup,
  PLATFORM_PART_FILES,
  type PlatformBackupOptions,
} from './platform.js';
export {
  BackupPolicyInputSchema,
  BACKUP_POLICY_FILE,
  DEFAULT_BACKUP_POLICY,
  resolvePolicy,
  readBackupPolicy,
  writeBackupPolicy,
  BackupPolicySchema,
  type BackupPolicy,
  type BackupPolicyInput,
} from './policy.js';
export { pruneBackups, INCOMPLETE_GRACE_MS, type PruneResult } from './prune.js';
export {
  finishInterruptedRestores,
  restoreAppBackup,
  swapContents,
  type RestoreOptions,
  type RestoreResult,
} from './restore.js';
export { interruptedRestores, RESTORING_FILE, type RestoreIntent } from './restore-intent.js';
export {
  planRetention,
  utcDay,
  isoWeek,
  DEFAULT_RETENTION,
  type RetentionPolicy,
  type RetentionItem,
  type RetentionPlan,
} from './retention.js';
export {
  parseSchedule,
  formatSchedule,
  isDue,
  nextDue,
  dueAt,
  lastDailySlot,
  staleAfterMs,
  DEFAULT_SCHEDULE,
  RETRY_AFTER_MS,
  type Schedule,
  type RunState,
  type DueInput,
} from './schedule.js';
export { BackupScheduler, type BackupSchedulerOptions, type SchedulerEvent } from './scheduler.js';
export { SqlRowCounter, RowCountingStream, type RowCounts } from './sql-row-counter.js';
export { appBackupStatus, backupStatuses, type AppBackupStatus } from './status.js';
export {
  BackupStore,
  PLATFORM_BACKUP_KEY,
  type BackupEntry,
  type BackupScan,
  type BackupFailure,
  type VerifyRecord,
} from './store.js';
export {
  verifyBackup,
  compareTables,
  loadAndCheck,
  readArchive,
  type VerifyResult,
  type VerifyOptions,
} from './verify.js';
