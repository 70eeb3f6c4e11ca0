/**
 * Firefox as a test engine: Debian's `firefox-esr`, driven over WebDriver BiDi by puppeteer-core.
 *
 * puppeteer-core never downloads a browser (only the `puppeteer` package does, on install): it
 * launches the executable given here, headless, on a temporary profile it removes on close.
 * Version 24 is pinned in package.json: 25 needs Node 22.
 */
import type { Browser } from 'puppeteer-core'
import { evaluationResult, evaluationScript, requireExecutable, type RunningEngine } from './engine'

export async function launch(): Promise<RunningEngine> {
  const puppeteer = await import('puppeteer-core')
  const executablePath = requireExecutable('Firefox (Debian package firefox-esr)', 'firefox-esr', 'firefox')
  const browser: Browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath,
    headless: true,
    timeout: 60000,
    // Nothing but the tests' own requests: no telemetry, no captive-portal or update checks.
    extraPrefsFirefox: {
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
      'app.update.enabled': false,
    },
  })
  try {
    const page = (await browser.pages())[0] ?? (await browser.newPage())
    const version = await browser.version() // "firefox/153.8.0"
    return {
      name: 'firefox',
      version: `Firefox ${version.replace(/^firefox\//i, '')}`,
      page: {
        goto: async (url) => void (await page.goto(url, { waitUntil: 'load' })),
        evaluate: async (expression) => evaluationResult(await page.evaluate(evaluationScript(expression)), expression),
        // WebDriver BiDi's emulation.setNetworkConditions ({ type: 'offline' }).
        setOffline: (offline) => page.setOfflineMode(offline),
      },
      close: () => browser.close(),
    }
  } catch (error) {
    await browser.close()
    throw error
  }
}
