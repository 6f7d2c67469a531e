import t from 'tap';
import {
  DNS_FALLBACK_SOCKET,
  isMinicloudError,
  renderProxyConfig,
  formatDetail,
  type ProxyRoute,
} from '@minicloud/core';

const settings = { certDir: '/etc/nginx/tls/domains' };
const shop: ProxyRoute = {
  app: 'shop',
  domains: ['shop.example.com', 'shop.minicloud.localhost'],
  upstream: 'shop_web',
  port: 3000,
};

function errorsOf(routes: ProxyRoute[], s = settings): string[] {
  try {
    renderProxyConfig(routes, s);
    return [];
  } catch (error) {
    if (!isMinicloudError(error)) throw error;
    return error.details.map(formatDetail);
  }
}

t.test('one file per app, a redirect and a TLS server per domain, to the app upstream', async (t) => {
  const files = renderProxyConfig([shop], settings);
  t.same(Object.keys(files), ['app-shop.conf', 'app-shop.upstream.conf'], 'vhosts, and the upstream apart');
  const conf = files['app-shop.conf']!;
  t.equal(conf.match(/listen 80;/g)?.length, 2);
  t.equal(conf.match(/listen 443 ssl http2;/g)?.length, 2);
  t.match(conf, 'server_name shop.example.com;');
  t.match(conf, 'ssl_certificate /etc/nginx/tls/domains/shop.example.com/tls.crt;');
  t.match(conf, 'ssl_certificate_key /etc/nginx/tls/domains/shop.example.com/tls.key;');
  t.match(conf, 'return 301 https://$host$request_uri;');
  t.equal(conf.match(/proxy_pass http:\/\/app-shop;/g)?.length, 2, 'each TLS server to the upstream block');
  t.ok(conf.indexOf('shop.example.com') < conf.indexOf('shop.minicloud.localhost'), 'domains sorted');
});

t.test('no addresses known: the upstream is the DNS fallback server alone', async (t) => {
  const conf = renderProxyConfig([shop], settings)['app-shop.upstream.conf']!;
  const upstream = /upstream app-shop \{([^}]*)\}/.exec(conf)?.[1] ?? '';
  t.same(
    upstream.match(/^\s*server .*$/gm)?.map((l) => l.trim()),
    [`server unix:${DNS_FALLBACK_SOCKET};`],
  );
  t.match(upstream, 'keepalive 16;');
});

t.test('known addresses: kept-alive servers in numeric order, the DNS fallback as backup', async (t) => {
  const files = renderProxyConfig([{ ...shop, addresses: ['10.0.1.10', '10.0.1.9', '10.0.1.10'] }], settings);
  t.same(files['app-shop.conf'], renderProxyConfig([shop], settings)['app-shop.conf'], 'the vhosts do not change');
  const conf = files['app-shop.upstream.conf']!;
  const upstream = /upstream app-shop \{([^}]*)\}/.exec(conf)?.[1] ?? '';
  t.same(
    upstream.match(/^\s*server .*$/gm)?.map((l) => l.trim()),
    [
      'server 10.0.1.9:3000 max_fails=1 fail_timeout=10s;',
      'server 10.0.1.10:3000 max_fails=1 fail_timeout=10s;',
      `server unix:${DNS_FALLBACK_SOCKET} backup;`,
    ],
  );
});

t.test('the DNS fallback server: same domains, resolved per request, the client as the first hop saw it', async (t) => {
  const conf = renderProxyConfig([shop], settings)['app-shop.conf']!;
  const fallback = conf.slice(conf.indexOf(`listen unix:${DNS_FALLBACK_SOCKET};`));
  t.match(fallback, 'server_name shop.example.com shop.minicloud.localhost;');
  t.match(fallback, 'set $upstream http://shop_web:3000;\n    proxy_pass $upstream;');
  t.match(fallback, 'proxy_set_header X-Real-IP $http_x_real_ip;');
  t.match(fallback, 'proxy_set_header X-Forwarded-For $http_x_forwarded_for;');
  t.match(fallback, 'proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;');
});

t.test(
  'deterministic: the same routes in any order give the same bytes; apps without domains get no file',
  async (t) => {
    const blog: ProxyRoute = { app: 'blog', domains: ['blog.example.com'], upstream: 'blog_web', port: 80 };
    const idle: ProxyRoute = { app: 'idle', domains: [], upstream: 'idle_web', port: 80 };
    t.same(renderProxyConfig([shop, blog, idle], settings), renderProxyConfig([idle, blog, shop], settings));
    t.same(Object.keys(renderProxyConfig([shop, blog, idle], settings)), [
      'app-blog.conf',
      'app-blog.upstream.conf',
      'app-shop.conf',
      'app-shop.upstream.conf',
    ]);
  },
);

t.test('nothing that could break out of a directive reaches the config', async (t) => {
  t.same(
    errorsOf([
      { app: 'evil', domains: ['a.com; include /etc/passwd', 'b.com}'], upstream: 'x_web;', port: 0 },
      { app: 'Bad App', domains: ['ok.example.com'], upstream: 'ok_web', port: 80 },
      { app: 'ips', domains: ['ips.example.com'], upstream: 'ips_web', port: 80, addresses: ['10.0.0.1:80; x', '::1'] },
    ]),
    [
      'routes[0].upstream: must be a service name',
      'routes[0].port: must be an integer from 1 to 65535',
      'routes[0].domains[0]: must be a lowercase host name',
      'routes[0].domains[1]: must be a lowercase host name',
      'routes[1].app: must be an app name',
      'routes[2].addresses[0]: must be an IPv4 address',
      'routes[2].addresses[1]: must be an IPv4 address',
    ],
  );
  t.same(errorsOf([shop], { certDir: '/etc/nginx/tls; evil' }), ['certDir: must be an absolute path']);
});

t.test('a domain can belong to one app only', async (t) => {
  const other: ProxyRoute = { app: 'other', domains: ['shop.example.com'], upstream: 'other_web', port: 80 };
  t.same(errorsOf([shop, other]), ['routes[1].domains[0]: shop.example.com is already routed to app shop']);
});

t.test("port 80 sends the ACME challenge path to the platform's API, never to the app (issue 12)", async (t) => {
  const conf = renderProxyConfig([shop], settings)['app-shop.conf']!;
  const plain = conf.split(/\n(?=server \{)/).filter((block) => /listen 80;/.test(block));
  t.equal(plain.length, 2, 'one port-80 server per domain');
  for (const block of plain) {
    t.match(
      block,
      /location \/\.well-known\/acme-challenge\/ \{\n\s+set \$upstream http:\/\/minicloud_api:8080;\n\s+proxy_pass \$upstream;\n\s+\}/,
    );
    t.notMatch(block, /app-shop|shop_web/, 'the app is not reachable on port 80 at all');
  }
});
