/** Software access: what other modules may call. */
export type * from './tables.js';
export { softwareModule } from './module.js';
export { entitlements } from './service.js';
export { PLATFORMS, PLATFORM_IDS, platformName, type PlatformId } from './platforms.js';
