export * from './types.js';
export * from './store.js';
export * from './alerts.js';
export * from './watch.js';
export * from './notify.js';
export * from './disk-space.js';
