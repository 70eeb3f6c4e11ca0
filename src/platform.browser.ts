/** The browser script's build: see platform.ts. */
export const BROWSER_SCRIPT = true
