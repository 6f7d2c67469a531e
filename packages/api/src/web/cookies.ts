// The admin pages' cookies. Both are host-only `__Host-` cookies: browsers accept such a cookie
// only with Secure, Path=/ and no Domain, so an app on a sibling host name cannot set, overwrite
// or shadow them with a cookie for the parent domain (cookie tossing). Secure always: the admin
// is served over HTTPS by the proxy, and browsers take Secure cookies from http://localhost too.
//
// Upgrading from mc_session and _csrf (plain names, a CSRF secret in a cookie): sessions live in
// memory, so the restart logs everyone out anyway; the old cookies are ignored and expire.

/** The admin session: 32 random bytes naming a server-side session (./sessions.ts). */
export const SESSION_COOKIE = '__Host-mc_session';
/** One visit of the log-in page, before there is a session: what its form's token is bound to. */
export const LOGIN_COOKIE = '__Host-mc_login';

export const HOST_ONLY_COOKIE = { path: '/', httpOnly: true, sameSite: 'strict', secure: true } as const;
