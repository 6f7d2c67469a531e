import type { Sensitive } from '../../sensitive.js';
import type { NeedKind } from '../types.js';
import { serviceUrl, type ServiceEndpoint } from '../url.js';
import { databaseBackup } from './backup.js';

export const databaseUrl = (ep: ServiceEndpoint): Sensitive<string> => serviceUrl('mysql', ep);

/** A database and a user of its own in the shared MariaDB (AppContext.database provisions them). */
export const database: NeedKind<'database', 'database'> = {
  name: 'database',
  label: 'a MariaDB database',
  env: ['DATABASE_URL'],
  service: {
    name: 'mariadb',
    image: { hub: 'mariadb:11.4', debian: 'minicloud/mariadb:bookworm' },
    holdsShares: async (ctx) => (await ctx.database.holdsShares?.()) ?? true,
  },
  credentials: true,
  shares: {
    ensure: async (ctx, app, secret) => {
      await ctx.database.ensure(app, secret!);
    },
    drop: (ctx, app) => ctx.database.drop(app),
    exists: (ctx, app) => ctx.database.exists(app),
    describe: (ctx, app) => `database ${ctx.database.names(app).database} (or its user)`,
  },
  appEnv: (ctx, app, secret): Record<string, Sensitive<string>> => {
    if (!secret) return {};
    const { user, database: path } = ctx.database.names(app);
    const { appHost: host, appPort: port } = ctx.database;
    return { DATABASE_URL: databaseUrl({ user, password: secret, host, port, path }) };
  },
  backup: databaseBackup,
};
