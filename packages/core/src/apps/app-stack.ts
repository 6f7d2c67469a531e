import type { Sensitive } from '../sensitive.js';
import { compileStack, type CompiledStack } from '../compiler/compile.js';
import { amqpUrl, databaseUrl, renderCredentialsEnv, type CredentialUrls } from '../compiler/credentials.js';
import type { Manifest } from '../manifest/normalise.js';
import type { NeedName } from '../manifest/schema.js';
import type { AppContext } from './context.js';
import type { AppSecrets } from './store.js';
import type { AppRecord } from './types.js';

// An app's two compiled artefacts: its stack (in the configuration directory, names only) and
// its env file (in the secrets dir: credentials and the operator's env values).

type StackContext = Pick<AppContext, 'baseDomain' | 'endpointMode' | 'dataDir' | 'store'>;

/** The record's stack; the operator's env names point at the env file for their values. */
export function compileApp(ctx: StackContext, record: AppRecord, domains: string[]): CompiledStack {
  const scaled = record.runnerReplicas ?? {};
  const manifest: Manifest = {
    ...record.manifest,
    needs: record.needs,
    runners: record.manifest.runners.map((r) => ({ ...r, replicas: scaled[r.name] ?? r.replicas })),
  };
  const extra = domains.filter((d) => d !== `${record.name}.${ctx.baseDomain}`);
  return compileStack(manifest, {
    image: record.image,
    name: record.name,
    domains: extra,
    baseDomain: ctx.baseDomain,
    replicas: record.replicas,
    endpointMode: ctx.endpointMode,
    dataDir: ctx.dataDir,
    secretsDir: ctx.store.secretsDir,
    secretEnv: record.envKeys,
  });
}

/** The env file's text: DATABASE_URL / AMQP_URL for the needs it has, then the env values. */
export function appEnvFile(
  ctx: Pick<AppContext, 'database' | 'messagebus'>,
  name: string,
  needs: NeedName[],
  secrets: AppSecrets,
): Sensitive<string> {
  const { database, messagebus } = ctx;
  const urls: CredentialUrls = {};
  if (needs.includes('database') && secrets.database) {
    const { user, database: db } = database.names(name);
    urls.DATABASE_URL = databaseUrl({
      user,
      password: secrets.database,
      host: database.appHost,
      port: database.appPort,
      path: db,
    });
  }
  if (needs.includes('messagebus') && secrets.messagebus) {
    const { user, vhost } = messagebus.names(name);
    urls.AMQP_URL = amqpUrl({
      user,
      password: secrets.messagebus,
      host: messagebus.appHost,
      port: messagebus.appPort,
      path: vhost,
    });
  }
  return renderCredentialsEnv(urls, secrets.env ?? {});
}
