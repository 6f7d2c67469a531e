export * from './types.js';
export * from './ports.js';
export * from './context.js';
export * from './store.js';
export * from './certificates.js';
export * from './status.js';
export * from './manager.js';
export * from './open.js';
