export * from './errors.js';
export * from './sensitive.js';
export * from './labels.js';
export * from './manifest/index.js';
export * from './compiler/index.js';
export * from './compose/types.js';
export { escapeInterpolation } from './compose/interpolation.js';
export { compileChecker, type Checker, type CheckResult } from './schema/ajv.js';
export { pointerToPath } from './schema/describe-errors.js';
