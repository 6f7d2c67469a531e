import type { FastifyServerOptions } from 'fastify';
import { NEED_ENV_NAMES } from '@minicloud/core';

/**
 * pino options with secrets redacted: auth headers and cookies, and any field named like a
 * password or token. URLs with credentials are masked by the serializer below.
 */
export function loggerOptions(level = process.env['LOG_LEVEL'] ?? 'info'): FastifyServerOptions['logger'] {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        '*.password',
        '*.token',
        '*.secret',
        // The env each need kind gives an app (DATABASE_URL, AMQP_URL, ...).
        ...NEED_ENV_NAMES.map((name) => `*.${name}`),
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: { method: string; url: string }) => ({
        method: req.method,
        url: maskQuerySecrets(maskUrlCredentials(req.url)),
      }),
    },
  };
}

/**
 * `scheme://user:secret@host` -> `scheme://user:[redacted]@host`, anywhere in a string.
 * Linear in the text: a scheme starts only where a run of scheme characters starts (the
 * lookbehind), and the user and secret are bounded, so a request line of letters without `:` costs one
 * pass, not one pass per character (a 100 KB one took 4 s before; every request is logged,
 * before any token is checked). Longer users and secrets than the bounds do not occur.
 */
export function maskUrlCredentials(text: string): string {
  return text.replace(/(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/[^:/@\s]{1,256}):[^@\s]{1,1024}@/gi, '$1:[redacted]@');
}

const SECRET_PARAMS = new Set(['token', 'secret', 'password']);

/**
 * `?token=secret` (a webhook's secret travels in its URL) -> `?token=[redacted]`. Names are
 * compared decoded, as the query parser reads them: `?%74oken=` is a `token` to the route too.
 */
export function maskQuerySecrets(text: string): string {
  return text.replace(/([?&])([^=&#\s]*)=[^&#\s]*/g, (whole, sep: string, name: string) =>
    SECRET_PARAMS.has(decodedName(name)) ? `${sep}${name}=[redacted]` : whole,
  );
}

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' ')).trim().toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}
