/**
 * Whether this is the browser script's build. The browser script replaces this module with
 * platform.browser.ts, so that code for Node only (Node stream bodies, unref'd timers, the
 * MessageEvent stand-in) is dropped from it as dead code.
 */
export const BROWSER_SCRIPT = false
