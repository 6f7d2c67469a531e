// nginx template (handlebars) for an app's virtual hosts. The base nginx.conf (rendered by
// `platform init`) sets the swarm resolver, proxy headers and websocket upgrade, and includes
// conf.d/*.conf. Every value placed here is validated first (host names, service names,
// ports, paths), and escaping is off because nginx, not HTML, reads the output.
export const APP_TEMPLATE = `# minicloud app "{{app}}": generated from its domains; do not edit by hand.
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
    # A variable in proxy_pass makes nginx resolve the service per request through the swarm
    # DNS: it follows dnsrr tasks through updates, and nginx starts before the app does.
    set $upstream http://{{../upstream}}:{{../port}};
    proxy_pass $upstream;
  }
}
{{/each}}`;
