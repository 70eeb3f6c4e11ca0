/**
 * The global polyfill: the browser script and the `./polyfill` module leave the engine's own
 * EventSource in place, and install ours as the global where there is none.
 */
import type { Suite } from './context'

export const polyfillSuite: Suite = (ctx) => {
  describe('the global polyfill', () => {
    async function resultOf(route: string): Promise<unknown> {
      const page = await ctx.load(route, 'window.result !== undefined')
      return page.evaluate('window.result')
    }

    test(`the browser script leaves ${ctx.engine.label}'s own EventSource in place and exposes ours as IsomorphicEventSource.EventSource`, async () => {
      expect(await resultOf('/polyfill/script-native.html')).toEqual({
        globalIsNative: true,
        nativeCode: true,
        oursExposed: true,
        oursIsNotNative: true,
      })
    })

    test('the browser script installs ours as window.EventSource where there is none, and it streams from a relative URL', async () => {
      expect(await resultOf('/polyfill/script-deleted.html')).toEqual({
        deleted: true,
        globalIsOurs: true,
        descriptor: { writable: true, enumerable: false, configurable: true },
        url: ctx.server.url('/polyfill/stream'),
        data: 'from the polyfill',
      })
    })

    test(`the ./polyfill module leaves ${ctx.engine.label}'s own EventSource in place and exports the main entry's class`, async () => {
      expect(await resultOf('/polyfill/module-native.html')).toEqual({ globalIsNative: true, exportIsMain: true, exportIsNotNative: true })
    })

    test('the ./polyfill module installs the main entry’s class as window.EventSource where there is none', async () => {
      expect(await resultOf('/polyfill/module-deleted.html')).toEqual({
        deleted: true,
        globalIsOurs: true,
        exportIsMain: true,
        enumerable: false,
        url: ctx.server.url('/polyfill/stream'),
        data: 'from the polyfill',
      })
    })
  })
}
