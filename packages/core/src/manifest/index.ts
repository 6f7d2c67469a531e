export * from './schema.js';
export * from './parse.js';
export * from './validate.js';
export * from './normalise.js';
export * from './load.js';
export { parseMemory } from './units.js';
