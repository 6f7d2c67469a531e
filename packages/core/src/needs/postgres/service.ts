// The shared PostgreSQL as the management stack runs it (stacks/management/minicloud.yml and
// postgres/*.conf): its images in the two modes, and its memory limit. A leaf module, so that
// the platform settings can default to these images without loading the kind.

/** The official image, and Debian bookworm's PostgreSQL 15 built from images/debian/postgres. */
export const POSTGRES_IMAGES = { hub: 'postgres:15', debian: 'minicloud/postgres:bookworm' } as const;

/** 8MB shared_buffers, at most 60 sessions of a few MB each. */
export const POSTGRES_MEMORY = { limit: '128M', reservation: '32M' } as const;
