import { MinicloudError } from '../errors.js';
import { envFileProblems } from '../compiler/credentials.js';
import { appEnvFile, compileApp } from './app-stack.js';
import type { AppContext } from './context.js';
import { wrapEnv, type StoredRecord } from './store.js';
import type { AppRecord } from './types.js';

// Before env values moved to the secrets dir, app.json and the compiled stack in the
// configuration directory held them. This moves them: values into the app's secrets (data
// and env file, 0600) first, then the stack and app.json rewritten with names only, app.json
// last. Until that last write the record still reads as old, so an interrupted move is simply
// done again. The running services are not touched: their environment comes out the same.

export async function moveLegacyEnv(ctx: AppContext, stored: StoredRecord): Promise<AppRecord> {
  const { record, legacyEnv } = stored;
  if (legacyEnv === undefined) return record;
  const { store } = ctx;
  const problems = envFileProblems(legacyEnv);
  if (problems.length > 0) {
    throw new MinicloudError(
      'MC_SETTINGS_INVALID',
      `app ${record.name}: env values with a line break cannot move to its env file; ` +
        `set them again on one line (app update --env KEY=...), or remove them with KEY=`,
      problems,
    );
  }
  if (Object.keys(legacyEnv).length === 0) {
    // Nothing to move or scrub: only the record's format changes (the stack stays as deployed).
    await store.writeRecord(record);
    return record;
  }
  const secrets = { ...(await store.readSecrets(record.name)), env: wrapEnv(legacyEnv) };
  await store.writeSecrets(record.name, secrets, appEnvFile(ctx, record.name, record.needs, secrets));
  await store.write(record, { stackYaml: compileApp(ctx, record, record.domains).yaml });
  return record;
}
