export { appOfProvisionName, checkAppName, provisionName } from './names.js';
export {
  exactDatabasePattern,
  grantRepairPlan,
  grantRepairStatements,
  grantStatement,
  hasWildcard,
  sqlAccount,
  type DbGrantRow,
  type GrantRepair,
} from './grants.js';
export { MariaDbAdmin, nativePasswordHash, type MariaDbAdminOptions, type RepairedGrant } from './database.js';
export { RabbitMqAdmin, type RabbitMqAdminOptions } from './messagebus.js';
export { apiPath as rabbitMqApiPath } from './management-api.js';
export { LocalStorageAdmin, storageLabel, type LocalStorageAdminOptions } from './storage.js';
export {
  planProxyChanges,
  planChangesConfig,
  type LiveProxyFiles,
  type DesiredProxyFiles,
  type ProxyPlan,
} from './proxy-plan.js';
