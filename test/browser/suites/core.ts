/**
 * The core scenarios (../core-routes.ts, ../fixtures/core-scenarios.js) in a page, for the
 * engine's own EventSource and ours from both builds side by side, plus the constructor's URL
 * handling, the request it sends, and the events it dispatches.
 */
import { comparable, coreScenarios } from '../core-routes'
import type { ServerResponse } from 'node:http'
import { waitFor } from '../../helpers/recorder'
import { startStream } from '../../helpers/server'
import { held, js } from '../site'
import { waitInPage } from './context'
import type { Suite } from './context'
import { departure as departureOf, opensOnFirstByte } from './departures'

export const implementations = (label: string) =>
  [
    ['native', `${label}'s own EventSource`],
    ['iife', 'ours from the browser script'],
    ['esm', 'ours from the ES module build'],
  ] as const

export const coreSuite: Suite = (ctx) => {
  describe.each(implementations(ctx.engine.label))('core scenarios in a page: %s (%s)', (impl) => {
    beforeAll(async () => {
      await ctx.scenarioPage()
    })

    for (const scenario of coreScenarios) {
      const departure = departureOf(ctx.engine.name, impl, scenario.name)
      const title = departure ? `departs from the spec: ${departure.step}` : scenario.rule
      test(title, async () => {
        const base = `/core/${ctx.engine.name}/${scenario.name}/${impl}`
        scenario.install(ctx.server, base)
        const result = await ctx.page.evaluate(
          `coreScenarios.scenarios[${js(scenario.name)}](impl(${js(impl)}), ${js(ctx.server.url(base))})`,
        )
        const expected = (departure ?? scenario).expected(ctx.server.origin, base)
        expect(comparable(scenario.name, result)).toEqual(expected)
        if (!departure) scenario.checkRequests?.(ctx.server, base)
      })
    }

    test('resolves a relative URL against the document base URL', async () => {
      const base = `/core/${ctx.engine.name}/relative/${impl}`
      ctx.server.route(base, held('data: relative\n\n'))
      const result = await ctx.page.evaluate(`coreScenarios.collect(impl(${js(impl)}), ${js(base.slice(1))}, {
        until: function (log) { return log.length === 2 } })`)
      expect(result).toMatchObject({ url: ctx.server.url(base), log: [{ type: 'open' }, { type: 'message', data: 'relative' }] })
    })

    test('throws a SyntaxError DOMException for a URL that does not parse', async () => {
      const result = await ctx.page.evaluate(`(function () {
        try { new (impl(${js(impl)}))('http://127.0.0.1:99999/'); return 'no exception' }
        catch (error) { return { name: error.name, isDOMException: error instanceof DOMException } } })()`)
      expect(result).toEqual({ name: 'SyntaxError', isDOMException: true })
    })

    test.each(['ftp://127.0.0.1/stream', 'mailto:someone@example.test', 'about:blank', 'javascript:void 0'])(
      'fails the connection for a URL fetch cannot fetch: %s',
      async (url) => {
        const result = await ctx.page.evaluate(`coreScenarios.collect(impl(${js(impl)}), ${js(url)}, {
          until: function (log) { return log.length === 1 } }).then(function (result) { return result.log })`)
        expect(result).toEqual([{ type: 'error', readyState: 2 }])
      },
    )

    const firstByteDeparture = opensOnFirstByte[ctx.engine.name]
    test(
      firstByteDeparture
        ? `departs from the spec: ${firstByteDeparture}`
        : 'announces the connection (open, OPEN) when the response headers arrive, before any body byte (§ 9.2.2 processResponse)',
      async () => {
        const base = `/core/${ctx.engine.name}/open-on-headers/${impl}`
        let response: ServerResponse | undefined
        ctx.server.route(base, (_req, res) => void (response = startStream(res)))
        await ctx.page.evaluate(`window.probe = new (impl(${js(impl)}))(${js(ctx.server.url(base))}); window.probeLog = []
          probe.onopen = function () { probeLog.push('open') }; probe.onmessage = function () { probeLog.push('message') }`)
        try {
          await waitFor(() => response !== undefined, { message: 'the request to arrive' })
          if (firstByteDeparture) {
            // Nothing to wait on for an event that must not come: give it a while to show up.
            await new Promise((resolve) => setTimeout(resolve, 500))
            expect(await ctx.page.evaluate('[probe.readyState, probeLog]')).toEqual([0, []])
            response!.write(':\n')
          }
          await waitInPage(ctx.page, 'probe.readyState === 1')
          expect(await ctx.page.evaluate('probeLog')).toEqual(['open'])
        } finally {
          await ctx.page.evaluate('probe.close()')
        }
      },
    )

    test('sends Accept: text/event-stream and Cache-Control: no-cache', async () => {
      const base = `/core/${ctx.engine.name}/request-headers/${impl}`
      // A comment line: engines that open only on the first body byte open too.
      ctx.server.route(base, held(':\n'))
      await ctx.page.evaluate(`new Promise(function (resolve) {
        var source = new (impl(${js(impl)}))(${js(ctx.server.url(base))}); source.onopen = function () { source.close(); resolve() } })`)
      const [request] = ctx.server.requestsTo(base)
      expect(request.method).toBe('GET')
      expect(request.headers.accept).toBe('text/event-stream')
      expect(request.headers['cache-control']).toBe('no-cache')
      expect(request.headers['last-event-id']).toBeUndefined()
    })
  })

  describe('events our EventSource dispatches in a page', () => {
    beforeAll(async () => {
      await ctx.scenarioPage()
      ctx.server.route(`/trusted/${ctx.engine.name}`, held('data: x\n\n'))
    })

    const trusted = (impl: string) =>
      ctx.page.evaluate(`new Promise(function (resolve) {
        var source = new (impl(${js(impl)}))(${js(`/trusted/${ctx.engine.name}`)})
        source.onmessage = function (event) { source.close(); resolve({ isTrusted: event.isTrusted, isMessageEvent: event instanceof MessageEvent }) } })`)

    test(`are MessageEvents like ${ctx.engine.label}'s own, but not trusted: only the user agent can dispatch trusted events (DOM § 2.2: isTrusted is false for events a script dispatches)`, async () => {
      expect(await trusted('native')).toEqual({ isTrusted: true, isMessageEvent: true })
      expect(await trusted('iife')).toEqual({ isTrusted: false, isMessageEvent: true })
      expect(await trusted('esm')).toEqual({ isTrusted: false, isMessageEvent: true })
    })
  })
}
