/**
 * What a browser suite gets: the engine it runs in, the one page that engine's tests share, and
 * the loopback site. A suite is a function that registers jest tests (describe/test/beforeAll);
 * ../engines.test.ts calls every suite once per engine, engines one after another.
 *
 * To run a new scenario in Chromium, Firefox and WebKit: write a suite (a file here exporting a
 * `Suite`), add it to ./index.ts, and use only `ctx` to reach the browser. Where an engine's own
 * behaviour departs from the spec, branch on `ctx.engine.name` and name the spec step in the test.
 */
import type { EngineEntry, EnginePage, RunningEngine } from '../engines'
import type { TestServer } from '../../helpers/server'
import { SCENARIO_PAGE_READY, type TestSite } from '../site'

export interface SuiteContext {
  /** The engine these tests run in (known when tests are registered). */
  engine: EngineEntry
  /** The running browser (in hooks and tests only). */
  readonly running: RunningEngine
  /** The page this engine's tests share (in hooks and tests only). */
  readonly page: EnginePage
  readonly site: TestSite
  readonly server: TestServer
  /** Loads the scenario page (site.ts) afresh in the shared page and waits until its scripts ran. */
  scenarioPage(): Promise<EnginePage>
  /** Loads `path` of the site and waits until `condition` (a page expression) is true. */
  load(path: string, condition: string): Promise<EnginePage>
}

export type Suite = (ctx: SuiteContext) => void

/** Polls a page expression until it is truthy; rejects after `timeoutMs`. */
export async function waitInPage(page: EnginePage, condition: string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await page.evaluate(`Boolean(${condition})`)) return
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms in the page for: ${condition}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export { SCENARIO_PAGE_READY }
