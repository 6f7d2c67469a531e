import t from 'tap';
import { admin, ADMIN_TOKEN, deployTokenHeaders, testApp } from './helpers/app.js';
import { WebClient } from './helpers/web.js';

// GET /v1/services and the dashboard's "Shared services" table over the fake lifecycle: each
// need kind's service, whether it runs or is idle, and the apps that need it (admin only).

t.test('GET /v1/services: each shared service, its state and the apps that need it', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('shop');
  apps.records.get('shop')!.needs = ['database'];
  const res = await app.inject({ method: 'GET', url: '/v1/services', headers: admin });
  t.equal(res.statusCode, 200);
  t.same(res.json(), {
    services: [
      { service: 'mariadb', needs: ['database'], state: 'running', apps: ['shop'] },
      { service: 'rabbitmq', needs: ['messagebus'], state: 'idle', apps: [] },
      { service: 'postgres', needs: ['postgres'], state: 'idle', apps: [] },
      { service: 'redis', needs: ['redis'], state: 'idle', apps: [] },
    ],
  });
  t.equal((await app.inject({ method: 'GET', url: '/v1/services' })).statusCode, 401, 'no token: 401');
  const ci = await deployTokenHeaders(app, 'shop');
  const token = await app.inject({ method: 'GET', url: '/v1/services', headers: ci });
  t.equal(token.statusCode, 403, "an app's deploy token may not look at the platform's services");
});

t.test('the dashboard lists the shared services, idle ones named so', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('blog');
  apps.records.get('blog')!.needs = ['redis'];
  const web = new WebClient(app);
  await web.login(ADMIN_TOKEN);
  const page = await web.get('/apps');
  t.equal(page.statusCode, 200);
  t.match(page.body, '<h2>Shared services</h2>');
  t.match(
    page.body,
    /<code>redis<\/code><\/td><td>redis <\/td><td><span class="state running"[^>]*>running<\/span><\/td><td><a href="\/apps\/blog">blog<\/a>/,
  );
  t.match(
    page.body,
    /<code>mariadb<\/code><\/td><td>database <\/td><td><span class="state idle" title="stopped: no app needs it[^"]*">idle<\/span><\/td><td>none<\/td>/,
  );
});

t.test('POST /v1/services/settle stops what lingers now: admin only', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('shop');
  let asked = 0;
  apps.settleServices = async () => {
    asked++;
    return ['rabbitmq'];
  };
  const res = await app.inject({ method: 'POST', url: '/v1/services/settle', headers: admin });
  t.equal(res.statusCode, 200, res.body);
  t.same(res.json(), { stopped: ['rabbitmq'] });
  t.equal((await app.inject({ method: 'POST', url: '/v1/services/settle' })).statusCode, 401, 'no token: 401');
  const ci = await deployTokenHeaders(app, 'shop');
  const token = await app.inject({ method: 'POST', url: '/v1/services/settle', headers: ci });
  t.equal(token.statusCode, 403, "an app's deploy token may not stop the platform's services");
  t.equal(asked, 1, 'only the admin got through');
});
