/**
 * In workers: the browser script loaded with importScripts() in a dedicated worker (with and
 * without the worker's own EventSource), the ES module build in a module worker, the browser
 * script in a shared worker; the core scenarios beside the worker's own EventSource.
 */
import { coreScenarios, comparable, type ScenarioName } from '../core-routes'
import { js } from '../site'
import type { Suite } from './context'
import { departure as departureOf } from './departures'

const workerScenarios: ScenarioName[] = ['parsing', 'lifecycle', 'lastEventId', 'close', 'httpError', 'attributes']

export const workerSuite: Suite = (ctx) => {
  describe('in workers', () => {
    beforeAll(async () => {
      const page = await ctx.scenarioPage()
      await page.evaluate(`window.classicWorker = new Worker('/worker.js'); window.bareWorker = new Worker('/worker.js?delete=1');
        window.moduleWorker = new Worker('/module-worker.js', { type: 'module' })
        window.sharedPort = new SharedWorker('/shared-worker.js').port; sharedPort.start()`)
    })

    test("importScripts of the browser script keeps the worker's own EventSource and exposes ours", async () => {
      expect(await ctx.page.evaluate(`askWorker(classicWorker, { type: 'globals' })`)).toEqual({
        hadNative: true,
        globalIsOurs: false,
        globalIsNative: true,
        oursExposed: true,
      })
    })

    test('importScripts of the browser script installs ours in a worker whose EventSource was deleted', async () => {
      expect(await ctx.page.evaluate(`askWorker(bareWorker, { type: 'globals' })`)).toEqual({
        hadNative: true,
        globalIsOurs: true,
        globalIsNative: false,
        oursExposed: true,
      })
    })

    const cases = [
      ['classicWorker', 'native', "the worker's own EventSource"],
      ['classicWorker', 'iife', 'ours from the browser script (importScripts)'],
      ['bareWorker', 'iife', 'ours installed as the global by the browser script'],
      ['moduleWorker', 'esm', 'ours from the ES module build (module worker)'],
      ['sharedPort', 'native', "a shared worker's own EventSource"],
      ['sharedPort', 'iife', 'ours from the browser script in a shared worker'],
    ] as const
    for (const [worker, impl, label] of cases) {
      for (const name of workerScenarios) {
        const scenario = coreScenarios.find((s) => s.name === name)!
        const departure = departureOf(ctx.engine.name, impl, name)
        test(`${label}: ${departure ? `departs from the spec: ${departure.step}` : scenario.rule}`, async () => {
          const base = `/worker/${ctx.engine.name}/${worker}/${impl}/${name}`
          scenario.install(ctx.server, base)
          const result = await ctx.page.evaluate(`askWorker(${worker}, ${js({ scenario: name, impl, url: ctx.server.url(base) })})`)
          expect(comparable(name, result)).toEqual((departure ?? scenario).expected(ctx.server.origin, base))
          if (!departure) scenario.checkRequests?.(ctx.server, base)
        })
      }
    }
  })
}
