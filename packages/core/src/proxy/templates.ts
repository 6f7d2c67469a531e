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

export const APP_TEMPLATE = `# minicloud app "{{app}}": generated from its domains and its tasks; do not edit by hand.
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
{{#each domains}}

server {
  listen 80;
  server_name {{name}};
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

# The backup server: the same domains, resolved per request (see the top of this file).
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
