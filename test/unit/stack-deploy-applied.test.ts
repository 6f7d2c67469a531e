import t from 'tap';
import type Docker from 'dockerode';
import { deployStack, type ComposeFile } from '@minicloud/core';

// deployStack's onApplied: it runs once the engine has the services and before the wait for
// them, so an app's add can route while its tasks start. The Engine is faked: a log of calls.

function fakeEngine(log: string[]): Docker {
  return {
    listServices: async () => [],
    listNetworks: async () => [],
    createNetwork: async () => {
      log.push('create network');
      return { id: 'n1' };
    },
    createService: async () => {
      log.push('create service');
      return { id: 's1' };
    },
    getService: () => ({
      inspect: async () => {
        log.push('wait');
        return {
          Spec: {
            Mode: { Replicated: { Replicas: 1 } },
            TaskTemplate: { ContainerSpec: { Healthcheck: { Test: ['CMD', 'true'] } } },
          },
        };
      },
    }),
    listTasks: async () => [{ ID: 't1', DesiredState: 'running', Status: { State: 'running' } }],
  } as unknown as Docker;
}

const compose: ComposeFile = {
  version: '3.8',
  services: { web: { image: 'registry/shop:1', healthcheck: { test: ['CMD', 'true'] } } },
};

t.test('onApplied runs after the services are created, before the wait for them', async (t) => {
  const log: string[] = [];
  const result = await deployStack('shop', compose, {
    docker: fakeEngine(log),
    baseDir: '/nonexistent',
    onApplied: async () => {
      log.push('applied');
    },
  });
  t.same(log.slice(0, log.indexOf('wait') + 1), ['create network', 'create service', 'applied', 'wait']);
  t.equal(result.services[0]?.state, 'converged');
});

t.test('a failing onApplied fails the deploy before any wait', async (t) => {
  const log: string[] = [];
  await t.rejects(
    deployStack('shop', compose, {
      docker: fakeEngine(log),
      baseDir: '/nonexistent',
      onApplied: async () => {
        throw new Error('nginx -t failed');
      },
    }),
    /nginx -t failed/,
  );
  t.notOk(log.includes('wait'));
});
