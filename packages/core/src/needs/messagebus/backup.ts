import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { appResourceName } from '../../backup/mariadb.js';
import type { VhostDefinitions } from '../../backup/messagebus.js';
import { writePart } from '../../backup/write-part.js';
import type { NeedBackup } from '../types.js';

// The messagebus part: the vhost's definitions (queues, exchanges, bindings, policies) as
// JSON, not its messages; restored by loading them into the vhost (they add to it).

const FILE = 'messagebus.json';

export const messagebusBackup: NeedBackup<'messagebus'> = {
  part: 'messagebus',
  file: FILE,
  rank: 30,

  async create({ ctx, app, progress }, path, tools) {
    const resource = appResourceName(app);
    progress(`exporting the definitions of vhost ${resource}`);
    tools['rabbitmq'] = await ctx.rabbitmq.version();
    const definitions = await ctx.rabbitmq.exportVhost(resource);
    const text = Buffer.from(`${JSON.stringify(definitions, null, 2)}\n`);
    const file = await writePart(path, [], (head) => pipeline(Readable.from([text]), head));
    return {
      name: 'messagebus',
      file: FILE,
      ...file,
      vhost: resource,
      queues: definitions.queues?.length ?? 0,
      exchanges: definitions.exchanges?.length ?? 0,
    };
  },

  async verify(_scope, _part, path) {
    JSON.parse(await readFile(path, 'utf8'));
    return {};
  },

  async restore({ ctx, into, progress }, _part, path) {
    const resource = appResourceName(into);
    progress(`loading the definitions into vhost ${resource}`);
    const definitions = JSON.parse(await readFile(path, 'utf8')) as VhostDefinitions;
    await ctx.rabbitmq.importVhost(resource, definitions);
    return {};
  },
};
