import type { Sensitive } from '../../sensitive.js';
import { requireAdapter } from '../adapter.js';
import type { AppContext } from '../../apps/context.js';
import type { NeedKind } from '../types.js';
import type { PostgresAdmin } from './admin.js';
import { postgresBackup } from './backup.js';
import { POSTGRES_IMAGES, POSTGRES_MEMORY } from './service.js';
import { postgresUrl } from './url.js';

// The PostgreSQL need kind, and its edge: the adapter that provisions an app's role and
// database, the pure SQL and verifier it is built on, the app's URL, and the dump and restore.
export * from './admin.js';
export * from './copy-row-counter.js';
export * from './dump.js';
export * from './scram.js';
export * from './service.js';
export * from './sql.js';
export * from './url.js';

const admin = (ctx: AppContext): PostgresAdmin => requireAdapter(ctx.postgres, 'postgres', 'PostgreSQL');

/**
 * A role and a database it owns in the shared PostgreSQL, closed to every other app's role
 * (AppContext.postgres provisions them). It gives DATABASE_URL as `database` does: an app
 * needs one or the other.
 */
export const postgres: NeedKind<'postgres', 'postgres'> = {
  name: 'postgres',
  label: 'a PostgreSQL database',
  env: ['DATABASE_URL'],
  service: {
    name: 'postgres',
    image: { ...POSTGRES_IMAGES },
    memory: POSTGRES_MEMORY.limit,
    holdsShares: (ctx) => admin(ctx).holdsShares(),
  },
  credentials: true,
  shares: {
    ensure: async (ctx, app, secret) => {
      await admin(ctx).ensure(app, secret!);
    },
    drop: (ctx, app) => admin(ctx).drop(app),
    exists: (ctx, app) => admin(ctx).exists(app),
    describe: (ctx, app) => `PostgreSQL database ${admin(ctx).names(app).database} (or its role)`,
  },
  appEnv: (ctx, app, secret): Record<string, Sensitive<string>> => {
    if (!secret) return {};
    const pg = admin(ctx);
    const { role: user, database: path } = pg.names(app);
    return { DATABASE_URL: postgresUrl({ user, password: secret, host: pg.appHost, port: pg.appPort, path }) };
  },
  backup: postgresBackup,
};
