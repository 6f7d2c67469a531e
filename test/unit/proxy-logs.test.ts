import t from 'tap';
import {
  loadTemplates,
  platformSettings,
  renderManagementFiles,
  renderProxyConfig,
  type ProxyRoute,
} from '@minicloud/core';

// No query string in any line the proxy logs: the redeploy webhook's secret travels in one
// (`/v1/hooks/<app>?token=...`). Checked on everything nginx reads: the management stack's
// nginx.conf and conf.d, and the per-app files the platform renders.

/** nginx variables that hold the query string, or a request line that includes it. */
const WITH_QUERY = /\$(request|request_uri|args|arg_\w+|query_string|is_args)\b/;

/** The directives of an nginx config, comments dropped, each as its words joined by spaces. */
function directives(text: string): string[] {
  const code = text
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n');
  return code
    .split(/[;{}]/)
    .map((d) => d.replace(/\s+/g, ' ').trim())
    .filter((d) => d.length > 0);
}

async function proxyConfigs(): Promise<Record<string, string>> {
  const management = renderManagementFiles(
    await loadTemplates(),
    platformSettings({
      dataDir: '/data/minicloud',
      domain: 'example.com',
      registryAddr: '10.0.0.5:5443',
      endpointMode: 'vip',
      imagesMode: 'debian',
      images: { proxy: 'p', registry: 'r', mariadb: 'm', rabbitmq: 'q', api: 'a' },
    }),
  );
  const route: ProxyRoute = { app: 'shop', domains: ['shop.example.com'], upstream: 'shop_web', port: 3000 };
  const apps = renderProxyConfig([route], { certDir: '/etc/nginx/tls/domains' });
  return {
    ...Object.fromEntries(Object.entries(management).filter(([path]) => path.startsWith('proxy/'))),
    ...Object.fromEntries(Object.entries(apps).map(([file, text]) => [`proxy/conf.d/${file}`, text])),
  };
}

t.test('no log format holds a query string, and every access log uses one of them', async (t) => {
  const files = await proxyConfigs();
  t.ok(files['proxy/nginx.conf'] && files['proxy/conf.d/admin.conf'] && files['proxy/conf.d/app-shop.conf']);
  const all = Object.entries(files).flatMap(([path, text]) => directives(text).map((d) => ({ path, d })));
  const formats = all.filter(({ d }) => d.startsWith('log_format '));
  t.ok(formats.length > 0, 'the proxy defines its own log format');
  for (const { path, d } of formats) t.notMatch(d, WITH_QUERY, `${path}: ${d}`);
  const names = new Set(formats.map(({ d }) => d.split(' ')[1]));
  const logs = all.filter(({ d }) => d.startsWith('access_log '));
  t.ok(logs.length > 0);
  for (const { path, d } of logs) {
    const [, target, format] = d.split(' ');
    // `access_log <path>` alone logs in `combined`, whose request line has the query.
    t.ok(target === 'off' || names.has(format), `${path}: ${d}`);
  }
});

t.test("the webhook's location logs no errors: nginx's error lines hold the whole request line", async (t) => {
  const admin = directives((await proxyConfigs())['proxy/conf.d/admin.conf']!);
  const at = admin.indexOf('location /v1/hooks/');
  t.ok(at >= 0, 'admin.conf has a location for the webhook');
  t.equal(admin[at + 1], 'error_log /dev/null', 'its first directive sends errors nowhere');
  t.match(admin.slice(at + 1, at + 4), ['error_log /dev/null', /^set \$upstream /, 'proxy_pass $upstream']);
});
