/**
 * Launches the system's Chromium (Debian's `chromium` package, the executable on PATH) with
 * playwright-core. No browser is ever downloaded: `npm test` runs scripts/ensure-browsers.mjs
 * first, which installs the package when `chromium` is missing.
 */
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'

/** The flags the project runs Chromium with (headless, no sandbox as root, no background traffic). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

/** The `chromium` executable on PATH. */
export function chromiumPath(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, 'chromium')
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not in this folder
    }
  }
  throw new Error("no `chromium` on PATH: run `node scripts/ensure-browsers.mjs` (npm test does) to install Debian's chromium package")
}

/** A running Chromium: its one browser context, and how to close it (and remove its profile). */
export interface RunningChromium {
  context: BrowserContext
  close(): Promise<void>
}

/**
 * Launches Chromium on a fresh user-data-dir of its own, removed on close, so no profile, cookie
 * or cache survives from one run to the next. The profile allows third-party cookies, as a user
 * may set it (Chromium blocks them by default now), so that a credentialed cross-site request can
 * be seen to carry them: the withCredentials tests serve the page from 127.0.0.1 and the stream
 * from localhost, which are different sites.
 */
export async function launchChromium(): Promise<RunningChromium> {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'isomorphic-eventsource-chromium-'))
  mkdirSync(path.join(userDataDir, 'Default'))
  writeFileSync(
    path.join(userDataDir, 'Default', 'Preferences'),
    JSON.stringify({ profile: { cookie_controls_mode: 0, block_third_party_cookies: false } }),
  )
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath(),
      args: CHROMIUM_ARGS,
      timeout: 60000,
    })
    return {
      context,
      close: async () => {
        await context.close()
        rmSync(userDataDir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true })
    throw error
  }
}

/** A fixture file's text (test/browser/fixtures/). */
export function fixture(name: string): string {
  return readFileSync(path.join(__dirname, 'fixtures', name), 'utf8')
}
