/**
 * withCredentials across origins: the page on http://127.0.0.1:PORT, the stream on
 * http://localhost:PORT (another origin and another site), for the engine's own EventSource and
 * ours from both builds.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { startStream, type RouteHandler } from '../../helpers/server'
import { held, js } from '../site'
import type { Suite } from './context'
import { implementations } from './core'

export const credentialsSuite: Suite = (ctx) => {
  describe('withCredentials across origins (page on 127.0.0.1, stream on localhost)', () => {
    const requestOrigins: (string | undefined)[] = []

    /** CORS headers as a server that allows credentialed requests from the page's origin sends them. */
    function corsHeaders(req: IncomingMessage): Record<string, string> {
      return {
        'access-control-allow-origin': String(req.headers.origin),
        'access-control-allow-credentials': 'true',
        vary: 'Origin',
      }
    }

    /** Answers with the Cookie header the request carried. */
    const echoCookie: RouteHandler = (req, res) => {
      requestOrigins.push(req.headers.origin)
      startStream(res, corsHeaders(req)).write(`data: ${req.headers.cookie ?? 'no cookie'}\n\n`)
    }

    beforeAll(async () => {
      // The cookie belongs to localhost, the stream's origin. A cookie sent to another site needs
      // SameSite=None, which Chromium accepts only with Secure (it treats http://localhost as a
      // secure context); WebKitGTK refuses a Secure cookie over http. So the site sends both
      // forms of the one cookie: each engine keeps the form it accepts, and as they share name,
      // host and path, the jar holds one `sse-session` at most.
      ctx.server.route('/set-cookie', (req, res) => {
        res
          .writeHead(200, {
            ...corsHeaders(req),
            'set-cookie': ['sse-session=yes; Path=/; SameSite=None; Secure', 'sse-session=yes; Path=/; SameSite=None'],
            'content-type': 'text/plain',
          })
          .end('set')
      })
      ctx.server.route('/cookie', (req, res) => {
        res.writeHead(200, { ...corsHeaders(req), 'content-type': 'text/plain' }).end(req.headers.cookie ?? 'no cookie')
      })
      // A site can set its cookie two ways: on a visit of its own (first party), and in its answer
      // to a credentialed request from another site's page (third party). Both happen here, so the
      // cookie is there whatever the engine's cookie policy keeps: Firefox (Total Cookie
      // Protection) partitions cookies by top-level site and sends the page only the second;
      // WebKit (no third-party cookies) keeps only the first.
      await ctx.page.goto(`${ctx.site.localhostOrigin}/set-cookie`)
      const page = await ctx.scenarioPage()
      await page.evaluate(
        `fetch(${js(`${ctx.site.localhostOrigin}/set-cookie`)}, { credentials: 'include' }).then(function (r) { return r.text() })`,
      )
    })

    test('(precondition) a credentialed fetch from the page to the other site carries the cookie', async () => {
      expect(
        await ctx.page.evaluate(
          `fetch(${js(`${ctx.site.localhostOrigin}/cookie`)}, { credentials: 'include' }).then(function (r) { return r.text() })`,
        ),
      ).toBe('sse-session=yes')
    })

    async function streamedCookie(impl: string, withCredentials: boolean): Promise<unknown> {
      const base = `/cred/${ctx.engine.name}/${impl}/${withCredentials}`
      ctx.server.route(base, echoCookie)
      return ctx.page.evaluate(`coreScenarios.collect(impl(${js(impl)}), ${js(ctx.site.localhostOrigin + base)}, {
        init: { withCredentials: ${withCredentials} },
        until: function (log) { return log.length === 2 } }).then(function (result) { return result.log[1] })`)
    }

    test.each(implementations(ctx.engine.label))('%s (%s) sends the cookie only when withCredentials is true', async (impl) => {
      const origin = ctx.site.localhostOrigin
      expect(await streamedCookie(impl, true)).toMatchObject({ type: 'message', data: 'sse-session=yes', origin })
      expect(await streamedCookie(impl, false)).toMatchObject({ type: 'message', data: 'no cookie', origin })
      expect(requestOrigins.slice(-2)).toEqual([ctx.server.origin, ctx.server.origin])
    })

    /**
     * A cross-origin stream that sends an id and ends, then echoes the reconnection's Last-Event-ID.
     * It answers a CORS preflight (OPTIONS) allowing Last-Event-ID only when `allowPreflight`.
     */
    function lastEventIdRoute(base: string, allowPreflight: boolean): void {
      const preflight = (req: IncomingMessage, res: ServerResponse) => {
        if (!allowPreflight) return void res.writeHead(204).end()
        res.writeHead(204, { ...corsHeaders(req), 'access-control-allow-headers': 'last-event-id' }).end()
      }
      let streams = 0
      ctx.server.route(base, (req, res) => {
        if (req.method === 'OPTIONS') return preflight(req, res)
        if (streams++ === 0) startStream(res, corsHeaders(req)).end('retry: 20\nid: 42\ndata: one\n\n')
        else startStream(res, corsHeaders(req)).write(`data: ${req.headers['last-event-id'] ?? 'none'}\n\n`)
      })
    }

    const reconnectWithId = (impl: string, base: string) =>
      ctx.page.evaluate(`coreScenarios.collect(impl(${js(impl)}), ${js(ctx.site.localhostOrigin + base)}, {
        until: function (log) { return log.filter(function (e) { return e.type === 'message' }).length === 2 } })
        .then(function (result) { return result.log.map(function (e) { return e.data === undefined ? e.type : e.data }) })`)

    test(`${ctx.engine.label}'s own EventSource reconnects across origins with Last-Event-ID and no CORS preflight`, async () => {
      const base = `/cross-origin-last-event-id/${ctx.engine.name}/native`
      lastEventIdRoute(base, false)
      expect(await reconnectWithId('native', base)).toEqual(['open', 'one', 'error', 'open', '42'])
      expect(ctx.server.requestsTo(base).map((r) => r.method)).toEqual(['GET', 'GET'])
    })

    test.each([
      ['iife', 'ours from the browser script'],
      ['esm', 'ours from the ES module build'],
    ])(
      "%s (%s): a cross-origin reconnection with Last-Event-ID needs a CORS preflight that allows the header (a script's fetch cannot send it as the user agent does), and works once the server allows it",
      async (impl) => {
        const base = `/cross-origin-last-event-id/${ctx.engine.name}/${impl}`
        lastEventIdRoute(base, true)
        expect(await reconnectWithId(impl, base)).toEqual(['open', 'one', 'error', 'open', '42'])
        expect(ctx.server.requestsTo(base).map((r) => r.method)).toEqual(['GET', 'OPTIONS', 'GET'])
      },
    )

    /** Opens a source on a cross-origin stream that sends no CORS headers; resolves with its first event. */
    async function withoutCors(impl: string): Promise<{ log: unknown[]; requests: number }> {
      const base = `/cross-origin-no-cors/${ctx.engine.name}/${impl}`
      ctx.server.route(base, held('retry: 20\ndata: secret\n\n'))
      const result = (await ctx.page.evaluate(`coreScenarios.collect(impl(${js(impl)}), ${js(ctx.site.localhostOrigin + base)}, {
        until: function (log) { return log.length === 1 } })`)) as { log: unknown[] }
      return { log: result.log, requests: ctx.server.requestsTo(base).length }
    }

    test(`${ctx.engine.label}'s own EventSource fails the connection when a cross-origin response lacks Access-Control-Allow-Origin`, async () => {
      expect(await withoutCors('native')).toEqual({ log: [{ type: 'error', readyState: 2 }], requests: 1 })
    })

    test.each([
      ['iife', 'ours from the browser script'],
      ['esm', 'ours from the ES module build'],
    ])(
      '%s (%s): a cross-origin response without Access-Control-Allow-Origin is a network error that reestablishes the connection and lets no message through (§ 9.2.2 processResponse: "reestablish the connection, unless the user agent knows that to be futile, in which case the user agent may fail the connection"; fetch tells a script no CORS failure from a dropped connection)',
      async (impl) => {
        expect(await withoutCors(impl)).toEqual({ log: [{ type: 'error', readyState: 0 }], requests: 1 })
      },
    )
  })
}
