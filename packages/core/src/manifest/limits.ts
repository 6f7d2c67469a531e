// Name lengths, in a module of their own that imports nothing: provision/names.ts needs them,
// and it sits below the need kinds that the manifest schema lists.

/** App and runner names become stack and service names (`<app>_<runner>`), which Docker caps at 63. */
export const APP_NAME_MAX = 40;
export const RUNNER_NAME_MAX = 20;
