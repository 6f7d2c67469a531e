import t from 'tap';
import { appsWithSharedAliases } from '@minicloud/core';

// After an upgrade, the API redeploys the apps an earlier version left answering to their
// short names on the shared networks: which ones, from the engine's service list.

const svc = (app: string | undefined, networks: { Target: string; Aliases?: string[] }[]) => ({
  Spec: {
    Labels: (app ? { 'minicloud.app': app } : {}) as Record<string, string>,
    TaskTemplate: { Networks: networks },
  },
});

t.test('an app is picked when one of its services has an alias on a shared network', async (t) => {
  const shared = new Set(['proxy-id', 'services-id']);
  const services = [
    // Deployed before: `web` on every network.
    svc('old', [
      { Target: 'proxy-id', Aliases: ['web'] },
      { Target: 'old-app-net', Aliases: ['web'] },
    ]),
    svc('old', [{ Target: 'services-id', Aliases: ['worker'] }]),
    // Deployed now: short names only on its own network.
    svc('new', [{ Target: 'proxy-id' }, { Target: 'services-id' }, { Target: 'new-app-net', Aliases: ['web'] }]),
    svc('bare', [{ Target: 'services-id', Aliases: [] }]),
    // Not an app (the management stack's services carry no minicloud.app label).
    svc(undefined, [{ Target: 'services-id', Aliases: ['mariadb'] }]),
  ];
  t.same(appsWithSharedAliases(services, shared), ['old']);
  t.same(appsWithSharedAliases(services, new Set()), [], 'no shared network known: nothing to do');
});
