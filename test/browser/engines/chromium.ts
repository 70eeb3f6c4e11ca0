/**
 * Chromium as a test engine: Debian's `chromium`, launched by ../chromium.ts with playwright-core
 * (the project's flags, a fresh profile that allows third-party cookies).
 */
import { execFileSync } from 'node:child_process'
import { chromiumPath, launchChromium } from '../chromium'
import { evaluationResult, evaluationScript, type RunningEngine } from './engine'

export async function launch(): Promise<RunningEngine> {
  const chromium = await launchChromium()
  try {
    const page = chromium.context.pages()[0] ?? (await chromium.context.newPage())
    const enginePage = {
      goto: async (url: string) => void (await page.goto(url, { waitUntil: 'load' })),
      evaluate: async (expression: string) => evaluationResult(await page.evaluate(evaluationScript(expression)), expression),
      // The whole context, which is this one page's.
      setOffline: (offline: boolean) => chromium.context.setOffline(offline),
    }
    // The user agent string says only the major version (156.0.0.0); the executable says it all.
    const banner = execFileSync(chromiumPath(), ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30000 })
    return {
      name: 'chromium',
      version: `Chromium ${/([\d.]+)/.exec(banner)?.[1] ?? 'unknown'}`,
      page: enginePage,
      close: () => chromium.close(),
    }
  } catch (error) {
    await chromium.close()
    throw error
  }
}
