import type { CompiledStack } from '../compiler/compile.js';
import { composeAppFromText, compileComposeApp, type ComposeApp } from '../compose-app/index.js';
import { DEFAULT_STORAGE_PATH, type Manifest } from '../manifest/normalise.js';
import { deploymentSettings, type StackContext } from './app-stack.js';
import type { AppRecord, ComposeSource } from './types.js';

// A compose app (issue 17) as the app lifecycle keeps it: the record's fields the file decides,
// and its stack, compiled from the file by compileComposeApp as a manifest app's is by
// compileStack (app-stack.ts), with the record's needs, domains, replicas and env names.

const SOURCE = 'compose file';

/** The file, checked as an app: MC_COMPOSE_INVALID naming every path that is wrong. */
export function readComposeApp(text: string): ComposeApp {
  return composeAppFromText(text, SOURCE);
}

/**
 * What the record holds of a compose app: its routed service and volumes (so routing and
 * removal need not read the file), an image to show, and a manifest saying in a manifest's
 * terms what x-minicloud says, so what reads the manifest (routing's port, the status's URLs)
 * works for both kinds of app.
 */
export function composeRecordFields(app: ComposeApp, name: string): Pick<AppRecord, 'image' | 'manifest' | 'source'> {
  const routed = app.expose[0]?.service;
  const services = Object.keys(app.compose.services);
  const shown = app.compose.services[routed ?? services[0]!]!.image!;
  const source: ComposeSource = {
    kind: 'compose',
    ...(routed !== undefined ? { routedService: routed } : {}),
    volumes: Object.keys(app.compose.volumes ?? {}).sort(),
  };
  const manifest: Manifest = {
    name,
    expose: app.expose.map((e) => ({ proto: e.proto, port: e.port })),
    needs: [...app.needs],
    env: {},
    runners: [],
    resources: {},
    storage: { path: app.storage?.path ?? DEFAULT_STORAGE_PATH },
  };
  return { image: shown, manifest, source };
}

/** The record's stack from its file; the record's needs (attached, detached) win over the file's. */
export function compileComposeRecord(
  ctx: StackContext,
  record: AppRecord,
  app: ComposeApp,
  domains: string[],
): CompiledStack {
  return compileComposeApp({ ...app, needs: record.needs }, deploymentSettings(ctx, record, domains));
}

/** The service the proxy routes to and exec enters by default: a compose app's routed one, else `web`. */
export function routedServiceOf(record: Pick<AppRecord, 'source'>): string {
  return record.source?.kind === 'compose' ? (record.source.routedService ?? 'web') : 'web';
}
