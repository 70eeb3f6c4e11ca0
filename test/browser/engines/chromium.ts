/**
 * Chromium as a test engine: Debian's `chromium`, launched by ../chromium.ts with playwright-core
 * (the project's flags, a fresh profile that allows third-party cookies).
 */
import { launchChromium } from '../chromium'
import { evaluationResult, evaluationScript, type RunningEngine } from './engine'

export async function launch(): Promise<RunningEngine> {
  const chromium = await launchChromium()
  try {
    const page = chromium.context.pages()[0] ?? (await chromium.context.newPage())
    const enginePage = {
      goto: async (url: string) => void (await page.goto(url, { waitUntil: 'load' })),
      evaluate: async (expression: string) => evaluationResult(await page.evaluate(evaluationScript(expression)), expression),
    }
    const userAgent = String(await enginePage.evaluate('navigator.userAgent'))
    return {
      name: 'chromium',
      version: `Chromium ${/Chrome\/([\d.]+)/.exec(userAgent)?.[1] ?? 'unknown'}`,
      page: enginePage,
      close: () => chromium.close(),
    }
  } catch (error) {
    await chromium.close()
    throw error
  }
}
