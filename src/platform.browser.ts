/** The browser builds' version of platform.ts (the script and dist/index.browser.mjs). */
export const BROWSER_SCRIPT = true
