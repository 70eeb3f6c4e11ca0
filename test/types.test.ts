import { EventSource, EventSourceErrorEvent } from '../src'
import { dataOf, recordEvents, waitFor } from './helpers/recorder'
import { startServer, streamThenEnd } from './helpers/server'

/**
 * Code written against lib.dom's EventSource, the way browser code is written. It type-checks
 * (ts-jest fails the run on a type error) with our class passed in place of the platform's, and it
 * runs against ours, so our types stay compatible with lib.dom's.
 */
function followStream(Source: typeof globalThis.EventSource, url: string, onDone: (log: string[]) => void): globalThis.EventSource {
  const log: string[] = []
  const source: globalThis.EventSource = new Source(url, { withCredentials: false })
  source.onopen = function (this: globalThis.EventSource, event: Event) {
    log.push(`open:${event.type}:${this.readyState === Source.OPEN}`)
  }
  source.onmessage = (event: MessageEvent) => log.push(`message:${event.data}:${event.lastEventId}`)
  source.addEventListener('custom', (event: MessageEvent) => log.push(`custom:${event.data}`))
  source.addEventListener('error', (event: Event) => {
    log.push(`error:${source.readyState === source.CONNECTING}`)
    source.close()
    onDone(log)
  })
  return source
}

test('our class can stand wherever lib.dom’s EventSource is expected, and code typed against it runs', async () => {
  const server = await startServer({ '/s': streamThenEnd('id: 1\ndata: a\n\nevent: custom\ndata: b\n\n') })
  try {
    let log: string[] | undefined
    followStream(EventSource, server.url('/s'), (done) => (log = done))
    await waitFor(() => log !== undefined)
    expect(log).toEqual(['open:open:true', 'message:a:1', 'custom:b', 'error:true'])
  } finally {
    await server.close()
  }
})

test('typed listeners: error listeners receive an EventSourceErrorEvent, message listeners a MessageEvent', async () => {
  const server = await startServer({ '/s': streamThenEnd('data: typed\n\n') })
  try {
    const source = new EventSource(server.url('/s'))
    const kinds: string[] = []
    source.addEventListener('error', (event) => {
      // `event` is typed EventSourceErrorEvent here: no cast needed to read `kind`.
      kinds.push(event.kind)
      source.close()
    })
    source.addEventListener('message', (event) => kinds.push(typeof event.data))
    const events = recordEvents(source)
    await waitFor(() => kinds.length === 2)
    expect(kinds).toEqual(['string', 'end'])
    expect(dataOf(events)).toEqual(['typed'])
    expect(events.at(-1)!.event).toBeInstanceOf(EventSourceErrorEvent)
  } finally {
    await server.close()
  }
})
