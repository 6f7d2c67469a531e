// nginx template (handlebars) for an app's virtual hosts. The base nginx.conf (rendered by
// `platform init`) sets the swarm resolver, proxy headers and websocket upgrade, and includes
// conf.d/*.conf. Every value placed here is validated first (host names, service names,
// ports, addresses, paths), and escaping is off because nginx, not HTML, reads the output.
//
// How requests reach the app: an upstream block per app, so nginx keeps connections to the
// app's tasks open between requests (keepalive; a new TCP connection per request cost the
// proxy more than everything else it does). Debian bookworm's nginx 1.22 cannot re-resolve
// a name inside an upstream block, so the servers are the task addresses the platform saw
// when it rendered this file, and the API re-renders it when the tasks change. In between
// (a task just replaced, or none known yet) the backup server takes over: a server block in
// this same nginx, on a unix socket, that resolves the service per request through the
// swarm's DNS. nginx passes a request on to it only as proxy_next_upstream allows, so a
// POST that already reached a task is never sent twice.
export const DNS_FALLBACK_SOCKET = '/tmp/minicloud-dns-fallback.sock';

/** The platform's API, which answers ACME challenges for every host (stacks/management/minicloud.yml). */
export const ACME_CHALLENGE_UPSTREAM = 'minicloud_api:8080';

// The upstream block lives in a file of its own (app-<name>.upstream.conf): the task
// addresses change with every update or restart, the vhosts only when the operator changes
// something, and the configuration directory may be a git repository, which is told to
// ignore the upstream files (conf.d/.gitignore) so that only real changes show up there.
export const UPSTREAM_TEMPLATE = `# minicloud app "{{app}}": where its tasks are now; rewritten when they move. Do not edit.
upstream {{upstreamName}} {
{{#each addresses}}
  server {{this}}:{{../port}} max_fails=1 fail_timeout=10s;
{{/each}}
  server unix:${DNS_FALLBACK_SOCKET}{{#if addresses}} backup{{/if}};
  keepalive 16;
  # Below the idle timeouts app servers use (gunicorn 2 s, node 5 s), so nginx drops an
  # idle connection before the app does and never writes into one the app just closed.
  keepalive_timeout 1s;
}
`;

export const APP_TEMPLATE = `# minicloud app "{{app}}": generated from its domains; do not edit by hand.
# Its upstream block, {{upstreamName}}, is in app-{{app}}.upstream.conf.
{{#each domains}}
server {
  listen 80;
  server_name {{name}};
  # The ACME server's HTTP-01 fetch goes to the platform's API, never to the app: a tenant
  # cannot answer a challenge, for its own domains or anyone's.
  location /.well-known/acme-challenge/ {
    set $upstream http://${ACME_CHALLENGE_UPSTREAM};
    proxy_pass $upstream;
  }
  location / {
    return 301 https://$host$request_uri;
  }
}

server {
  # 'listen ... http2' rather than 'http2 on': Debian bookworm's nginx is 1.22.
  listen 443 ssl http2;
  server_name {{name}};
  ssl_certificate {{cert}};
  ssl_certificate_key {{key}};

  location / {
    proxy_pass http://{{../upstreamName}};
  }
}
{{/each}}

# The upstream's backup server: the same domains, the service resolved per request through the
# swarm's DNS, for while the addresses in the upstream block are stale or not known yet.
server {
  listen unix:${DNS_FALLBACK_SOCKET};
  server_name{{#each domains}} {{name}}{{/each}};
  access_log off;

  location / {
    set $upstream http://{{upstream}}:{{port}};
    proxy_pass $upstream;
    # Any proxy_set_header here replaces all of nginx.conf's, so all of them again, passing
    # on what the first hop saw of the client rather than the unix socket.
    proxy_set_header Host $host;
    proxy_set_header X-Real-IP $http_x_real_ip;
    proxy_set_header X-Forwarded-For $http_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;
    proxy_set_header X-Forwarded-Host $http_x_forwarded_host;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $connection_upgrade;
  }
}
`;
