import type { Sensitive } from '../sensitive.js';
import { compileStack, type CompiledStack } from '../compiler/compile.js';
import { renderCredentialsEnv } from '../compiler/credentials.js';
import type { Manifest } from '../manifest/normalise.js';
import { NEED_KINDS, type NeedName } from '../needs/registry.js';
import type { AppContext } from './context.js';
import type { AppSecrets } from './store.js';
import type { AppRecord } from './types.js';

// An app's two compiled artefacts: its stack (in the configuration directory, names only) and
// its env file (in the secrets dir: credentials and the operator's env values).

export type StackContext = Pick<AppContext, 'baseDomain' | 'endpointMode' | 'dataDir' | 'store'>;

/** The record's stack; the operator's env names point at the env file for their values. */
export function compileApp(ctx: StackContext, record: AppRecord, domains: string[]): CompiledStack {
  const scaled = record.runnerReplicas ?? {};
  const manifest: Manifest = {
    ...record.manifest,
    needs: record.needs,
    runners: record.manifest.runners.map((r) => ({ ...r, replicas: scaled[r.name] ?? r.replicas })),
  };
  return compileStack(manifest, { image: record.image, ...deploymentSettings(ctx, record, domains) });
}

/**
 * The deployment settings of the record's stack, whatever it is compiled from (an image's
 * manifest or a compose file): the default domain is the compiler's, the others are extra.
 */
export function deploymentSettings(ctx: StackContext, record: AppRecord, domains: string[]) {
  return {
    name: record.name,
    domains: domains.filter((d) => d !== `${record.name}.${ctx.baseDomain}`),
    baseDomain: ctx.baseDomain,
    replicas: record.replicas,
    endpointMode: ctx.endpointMode,
    dataDir: ctx.dataDir,
    secretsDir: ctx.store.secretsDir,
    secretEnv: record.envKeys,
  };
}

/** The env file's text: each need's env (DATABASE_URL, ...) in the registry's order, then the env values. */
export function appEnvFile(ctx: AppContext, name: string, needs: NeedName[], secrets: AppSecrets): Sensitive<string> {
  const urls: Record<string, Sensitive<string>> = {};
  for (const kind of NEED_KINDS) {
    if (!needs.includes(kind.name)) continue;
    const secret = secrets[kind.name];
    // A kind with credentials and no stored password yet gives nothing (as before it is provisioned).
    if (kind.credentials && !secret) continue;
    Object.assign(urls, kind.appEnv(ctx, name, secret));
  }
  return renderCredentialsEnv(urls, secrets.env ?? {});
}
