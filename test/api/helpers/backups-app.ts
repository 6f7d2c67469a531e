import type { Test } from 'tap';
import { testApp } from './app.js';
import { fakeBackups } from './fake-backups.js';

// The starting point of the backups tests, of the API (backups.test.ts) and of the web pages
// (backups-web.test.ts) alike.

export const OLD = '20260228T030000.000Z';
export const NEW = '20260301T030000.000Z';

/** The API with a fake backups port, apps `blog` and `copy`, two backups of blog (the older one damaged). */
export async function backupsApp(t: Test) {
  const backups = fakeBackups();
  const { app, apps } = await testApp({ backups });
  t.teardown(() => app.close());
  backups.knows = (name) => apps.records.has(name);
  apps.seed('blog');
  apps.seed('copy');
  backups.seed('blog', OLD);
  backups.seed('blog', NEW);
  backups.damagedParts.set(`blog/${OLD}`, 'database');
  return { app, apps, backups };
}
