export * from './settings.js';
export * from './env-bounds.js';
export * from './compile.js';
export * from './emit.js';
export * from './healthcheck.js';
export * from './credentials.js';
export * from './deploy-policy.js';
