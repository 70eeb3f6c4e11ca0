/**
 * Extensions for consuming a stream, in a page (ours from the browser script and from the ES
 * module build) and in a dedicated worker (the browser script by importScripts): `for await` over
 * a source, `events({ types })`, leaving the loop, a failure that ends it, `close()` that ends it,
 * and `onComment`. The client side of each scenario is in ../fixtures/iteration-scenarios.js.
 */
import { waitFor } from '../../helpers/recorder'
import { startStream, type RouteHandler } from '../../helpers/server'
import { js } from '../site'
import type { Suite, SuiteContext } from './context'

const places = [
  ['page', 'iife', 'in a page, ours from the browser script'],
  ['page', 'esm', 'in a page, ours from the ES module build'],
  ['worker', 'iife', 'in a dedicated worker, ours from the browser script (importScripts)'],
] as const

type Place = (typeof places)[number]

/** Runs iteration scenario `name` where `place` says, against `handler` served at a path of its own. */
async function run(ctx: SuiteContext, [where, impl]: Place, name: string, handler: RouteHandler): Promise<unknown> {
  const path = `/iteration/${ctx.engine.name}/${where}/${impl}/${name}`
  ctx.server.route(path, handler)
  const url = js(ctx.server.url(path))
  return ctx.page.evaluate(
    where === 'worker'
      ? `askWorker(iterationWorker, { scenario: ${js(name)}, url: ${url} })`
      : `iterationScenarios.scenarios[${js(name)}](api(${js(impl)}), ${url})`,
  )
}

export const iterationSuite: Suite = (ctx) => {
  describe.each(places.map((place) => [place[2], place] as const))('extension: async iteration and comments %s', (_label, place) => {
    beforeAll(async () => {
      const page = await ctx.scenarioPage()
      if (place[0] === 'worker') await page.evaluate(`window.iterationWorker = new Worker('/iteration-worker.js')`)
    })

    afterAll(async () => {
      if (place[0] === 'worker') await ctx.page.evaluate('iterationWorker.terminate()')
    })

    test('for await yields every message event, of any type, in order, as MessageEvents; break closes the source and ends the request', async () => {
      let closed = false
      const result = await run(ctx, place, 'forAwaitThenBreak', (_req, res) => {
        res.on('close', () => (closed = true))
        startStream(res).write('data: a\n\nevent: update\ndata: b\n\nid: 3\ndata: c\n\ndata: d\n\n')
      })
      expect(result).toEqual({
        seen: [
          ['message', 'a', '', true],
          ['update', 'b', '', true],
          ['message', 'c', '3', true],
        ],
        readyState: 2,
      })
      await waitFor(() => closed, { timeoutMs: 2000, message: 'the server to see the request ended' })
    })

    test('events({ types }) yields only those types across a reconnection, and a 401 makes the loop throw an Error with kind and status', async () => {
      const result = await run(ctx, place, 'typesThenUnauthorized', (_req, res, request) => {
        if (request.attempt === 0) startStream(res).end('retry: 10\ndata: skip\n\nevent: update\ndata: keep\n\n')
        else if (request.attempt === 1) startStream(res).end('event: update\ndata: again\n\n')
        else res.writeHead(401).end()
      })
      expect(result).toEqual({
        seen: ['keep', 'again'],
        threw: true,
        isError: true,
        kind: 'http',
        status: 401,
        message: 'HTTP 401 Unauthorized',
        readyState: 2,
      })
    })

    test('close() from elsewhere ends the loop after the events already waiting, without throwing', async () => {
      const result = await run(
        ctx,
        place,
        'closeEndsLoop',
        (_req, res) => void startStream(res).write('data: a\n\ndata: b\n\ndata: last\n\n'),
      )
      expect(result).toEqual({ seen: ['a', 'b', 'last'], readyState: 2 })
    })

    test('onComment gets the text of each comment line (with or without a space after the colon), in order with the events', async () => {
      const result = await run(
        ctx,
        place,
        'comments',
        (_req, res) => void startStream(res).write(':hello\ndata: x\n\n: world\n:\ndata: y\n\n: last\n'),
      )
      expect(result).toEqual([':hello', 'x', ':world', ':', 'y', ':last'])
    })
  })
}
