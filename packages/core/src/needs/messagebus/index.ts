import type { Sensitive } from '../../sensitive.js';
import type { NeedKind } from '../types.js';
import { serviceUrl, type ServiceEndpoint } from '../url.js';
import { messagebusBackup } from './backup.js';

export const amqpUrl = (ep: ServiceEndpoint): Sensitive<string> => serviceUrl('amqp', ep);

/** A vhost and a user of its own in the shared RabbitMQ (AppContext.messagebus provisions them). */
export const messagebus: NeedKind<'messagebus', 'messagebus'> = {
  name: 'messagebus',
  label: 'a RabbitMQ vhost',
  env: ['AMQP_URL'],
  service: {
    name: 'rabbitmq',
    image: { hub: 'rabbitmq:3.13-management', debian: 'minicloud/rabbitmq:bookworm' },
    holdsShares: async (ctx) => (await ctx.messagebus.holdsShares?.()) ?? true,
  },
  credentials: true,
  shares: {
    ensure: async (ctx, app, secret) => {
      await ctx.messagebus.ensure(app, secret!);
    },
    drop: (ctx, app) => ctx.messagebus.drop(app),
    exists: (ctx, app) => ctx.messagebus.exists(app),
    describe: (ctx, app) => `vhost ${ctx.messagebus.names(app).vhost} (or its user)`,
  },
  appEnv: (ctx, app, secret): Record<string, Sensitive<string>> => {
    if (!secret) return {};
    const { user, vhost: path } = ctx.messagebus.names(app);
    const { appHost: host, appPort: port } = ctx.messagebus;
    return { AMQP_URL: amqpUrl({ user, password: secret, host, port, path }) };
  },
  backup: messagebusBackup,
};
