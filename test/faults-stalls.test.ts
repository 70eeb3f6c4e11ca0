/**
 * Stalls: with `readTimeout`, a connection that goes silent is dropped and resumed (with
 * Last-Event-ID, without losing or repeating events); without it, the source waits quietly —
 * nothing spins while the server says nothing.
 */
import { constantBackoff, EventSource, type EventSourceErrorEvent } from '../src'
import { bodyNeverStarts, neverResponds, resumableStream, startFaultServer, stall, stream } from './helpers/fault-server'
import { settle, waitFor } from './helpers/recorder'
import { useSharedServers } from './helpers/per-test'

const {
  servers: [server],
  open,
} = useSharedServers(1, startFaultServer)

function errorsOf(source: EventSource): EventSourceErrorEvent[] {
  const errors: EventSourceErrorEvent[] = []
  source.addEventListener('error', (event) => errors.push(event))
  return errors
}

describe('with readTimeout, a stalled connection is dropped and resumed', () => {
  test('a stall in the middle of an event: the half event is dropped, the reconnection resumes after the last whole one, nothing repeats', async () => {
    const numbered = resumableStream(40, ({ attempt }) => {
      if (attempt > 0) return undefined
      // Stop in the middle of event 10 and say nothing more.
      const middleOfTen = numbered.bytes.indexOf('id: 10') + 20
      return { cutAfter: middleOfTen, then: 'hold' }
    })
    server.route('/stall-mid', numbered.handler)
    const source = open('/stall-mid', { readTimeout: 200, backoff: constantBackoff })
    const errors = errorsOf(source)
    const ids: number[] = []
    const onMessage = (event: MessageEvent): void => {
      ids.push(Number(event.lastEventId))
      if (event.data !== numbered.dataOf(Number(event.lastEventId))) ids.push(-1)
    }
    source.addEventListener('message', onMessage)
    source.addEventListener('tick', onMessage)
    await waitFor(() => ids.length >= 40, { timeoutMs: 4000, describe: () => ids })
    expect(ids).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
    expect(errors.map((e) => [e.kind, e.message])).toEqual([['timeout', 'read timeout after 200 ms']])
    expect(server.requestsTo('/stall-mid').map((r) => r.lastEventId)).toEqual([undefined, '9'])
  })

  test('a server that never answers is dropped after readTimeout, before any open event', async () => {
    server.route('/never', (ctx) =>
      ctx.request.attempt === 0 ? neverResponds()(ctx) : stream('data: answered\n\n', { then: 'hold' })(ctx),
    )
    const source = open('/never', { readTimeout: 150, retryDelay: 1 })
    const types: string[] = []
    for (const type of ['open', 'message', 'error']) source.addEventListener(type, () => types.push(type))
    await waitFor(() => types.includes('message'), { timeoutMs: 4000 })
    expect(types).toEqual(['error', 'open', 'message'])
  })

  test('a slow stream that never goes silent for readTimeout is not dropped, however long it takes', async () => {
    const pieces = ['data: s', 'l', 'o', 'w\n', '\n', ':\n', ':\n', 'data: done\n\n']
    server.route('/slow', async (ctx) => {
      ctx.head()
      for (const piece of pieces) {
        if (!(await ctx.send(piece)) || !(await ctx.pause(60))) return
      }
    })
    const source = open('/slow', { readTimeout: 250 })
    const errors = errorsOf(source)
    const data: string[] = []
    source.onmessage = (event) => data.push(event.data)
    await waitFor(() => data.length === 2, { timeoutMs: 4000 })
    // The whole stream took longer than readTimeout; no gap did.
    expect(data).toEqual(['slow', 'done'])
    expect(errors).toEqual([])
    expect(server.requestsTo('/slow')).toHaveLength(1)
  })
})

describe('without readTimeout, a stall is waited out and nothing spins', () => {
  test('while three sources wait on a server that never answers, never starts the body, and stops mid-event, CPU use stays low', async () => {
    server.route('/quiet/never', neverResponds())
    server.route('/quiet/no-body', bodyNeverStarts())
    server.route('/quiet/mid-event', stall(Infinity, { before: 'data: first\n\ndata: half of the sec' }))
    const quiet = ['/quiet/never', '/quiet/no-body', '/quiet/mid-event'].map((path) => open(path))
    const errors = quiet.flatMap((source) => errorsOf(source))
    let firstMessages = 0
    quiet[2].onmessage = () => firstMessages++
    await waitFor(() => quiet[1].readyState === EventSource.OPEN && firstMessages === 1)

    const wallStart = process.hrtime.bigint()
    const cpuStart = process.cpuUsage()
    await settle(800)
    const cpu = process.cpuUsage(cpuStart)
    const wallMs = Number(process.hrtime.bigint() - wallStart) / 1e6
    const cpuMs = (cpu.user + cpu.system) / 1000

    // A busy loop would burn ~all of the wall time; an idle wait, next to nothing. A third is a
    // generous bound that a loaded machine still keeps.
    expect(cpuMs).toBeLessThan(wallMs / 3)
    expect(errors).toEqual([])
    expect(quiet.map((source) => source.readyState)).toEqual([EventSource.CONNECTING, EventSource.OPEN, EventSource.OPEN])
    expect(firstMessages).toBe(1)
    for (const path of ['/quiet/never', '/quiet/no-body', '/quiet/mid-event']) expect(server.requestsTo(path)).toHaveLength(1)
  })
})
