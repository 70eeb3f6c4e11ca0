/**
 * Whether this is a browser build. The browser script and the builds for bundlers that target
 * browsers and workers (dist/index.browser.mjs) replace this module with platform.browser.ts, so
 * that code for Node only (Node stream bodies, unref'd timers, the MessageEvent stand-in) is
 * dropped from them as dead code.
 */
export const BROWSER_SCRIPT = false
