/**
 * Extensions in a real headless Chromium, from the built browser script: `for await` over a
 * source (with `types`, leaving the loop, and a failure that ends it) and `onComment`.
 */
import { startStream } from '../helpers/server'
import { useScriptPage } from './script-page'

/** The browser script's global, inside the page functions below. */
declare const IsomorphicEventSource: typeof import('../../src')

const harness = useScriptPage()

describe('extension: async iteration and comments in the browser script (Chromium)', () => {
  test('for await yields every message event in order, as MessageEvents; break closes the source', async () => {
    let closed = false
    harness.server.route('/loop', (_req, res) => {
      startStream(res).write('data: a\n\nevent: update\ndata: b\n\nid: 3\ndata: c\n\ndata: d\n\n')
      res.on('close', () => (closed = true))
    })
    const result = await harness.page.evaluate(async (url) => {
      const source = new IsomorphicEventSource.EventSource(url)
      const seen: unknown[] = []
      for await (const event of source) {
        seen.push([event.type, event.data, event.lastEventId, event instanceof MessageEvent])
        if (seen.length === 3) break
      }
      return { seen, readyState: source.readyState }
    }, harness.server.url('/loop'))
    expect(result).toEqual({
      seen: [
        ['message', 'a', '', true],
        ['update', 'b', '', true],
        ['message', 'c', '3', true],
      ],
      readyState: 2,
    })
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(closed).toBe(true)
  })

  test('events({ types }) filters, and a 401 makes the loop throw with kind and status', async () => {
    harness.server.route('/types', (_req, res, request) => {
      if (request.attempt === 0) startStream(res).end('retry: 10\ndata: skip\n\nevent: update\ndata: keep\n\n')
      else res.writeHead(401).end()
    })
    const result = await harness.page.evaluate(async (url) => {
      const source = new IsomorphicEventSource.EventSource(url)
      const seen: string[] = []
      try {
        for await (const event of source.events({ types: ['update'] })) seen.push(event.data)
        return { seen }
      } catch (error) {
        const failure = error as { kind: string; status: number; message: string }
        return { seen, kind: failure.kind, status: failure.status, message: failure.message }
      }
    }, harness.server.url('/types'))
    expect(result).toEqual({ seen: ['keep'], kind: 'http', status: 401, message: 'HTTP 401 Unauthorized' })
  })

  test('onComment gets each comment line, in order with the events', async () => {
    harness.server.route('/comments', (_req, res) => void startStream(res).write(':hello\ndata: x\n\n: world\n'))
    const log = await harness.page.evaluate(
      (url) =>
        new Promise<string[]>((resolve) => {
          const log: string[] = []
          const source = new IsomorphicEventSource.EventSource(url, {
            onComment: (text: string) => {
              log.push(`:${text}`)
              if (log.length === 3) {
                source.close()
                resolve(log)
              }
            },
          })
          source.onmessage = (event: MessageEvent) => log.push(event.data)
        }),
      harness.server.url('/comments'),
    )
    expect(log).toEqual([':hello', 'x', ':world'])
  })
})
