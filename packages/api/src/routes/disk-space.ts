import { worstDiskSpaceLevel } from '@minicloud/core';
import { port, type Api, type ApiContext } from '../context.js';
import { DiskSpaceReply, problems } from '../schemas.js';

// How full the platform's filesystems are (issue 15), read fresh on each call (statfs is
// instant). Admin only: it names the server's paths, which /health never does.
export function diskSpaceRoutes(app: Api, ctx: ApiContext): void {
  app.get(
    '/v1/platform/disk',
    {
      schema: {
        summary: "The free space of the platform's filesystems (data dir, backups, registry, storage) and their level",
        tags: ['platform'],
        response: { 200: DiskSpaceReply, ...problems(503) },
      },
    },
    async () => {
      const filesystems = await port(ctx.diskSpace, 'disk space').read();
      return { level: worstDiskSpaceLevel(filesystems), filesystems };
    },
  );
}
