import type { NeedKind } from '../types.js';
import { storageBackup } from './backup.js';

/**
 * A directory of its own on the node that holds the app (AppContext.storage creates it and
 * pins the app there), mounted at the manifest's `storage.path`. No service, no credentials.
 */
export const storage: NeedKind<'storage', 'storage'> = {
  name: 'storage',
  label: 'a persistent directory',
  env: [],
  credentials: false,
  shares: {
    ensure: async (ctx, app) => {
      await ctx.storage.ensure(app);
    },
    drop: (ctx, app) => ctx.storage.drop(app),
    exists: (ctx, app) => ctx.storage.exists(app),
    describe: (_ctx, app) => `storage directory of ${app}`,
  },
  appEnv: () => ({}),
  backup: storageBackup,
};
