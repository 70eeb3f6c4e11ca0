import { EventSource, type EventSourceErrorEvent } from '../src'
import { dataOf, recordEvents, settle, typesOf, waitFor } from './helpers/recorder'
import { startStream } from './helpers/server'
import { useServerPerTest } from './helpers/per-test'

const { server, open } = useServerPerTest()

describe('extension: readTimeout', () => {
  test('a stalled stream is dropped after readTimeout and resumed with Last-Event-ID', async () => {
    let closedByClient = false
    server.route('/s', (_req, res, request) => {
      if (request.attempt === 0) {
        startStream(res).write('retry: 5\nid: 1\ndata: before stall\n\n')
        res.on('close', () => (closedByClient = true))
      } else {
        startStream(res).write('id: 2\ndata: after\n\n')
      }
    })
    const source = open('/s', { readTimeout: 300 })
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length === 2)
    expect(typesOf(events)).toEqual(['open', 'message', 'error', 'open', 'message'])
    const error = events[2].event as EventSourceErrorEvent
    expect(error).toMatchObject({ kind: 'timeout', message: 'read timeout after 300 ms', status: undefined })
    expect(events[2].readyState).toBe(EventSource.CONNECTING)
    expect(server.requests[1].headers['last-event-id']).toBe('1')
    expect(closedByClient).toBe(true)
  })

  test('a slow but live stream (comments as heartbeats) is not dropped', async () => {
    server.route('/s', (_req, res) => {
      startStream(res)
      const timer = setInterval(() => res.write(':\n'), 20)
      res.on('close', () => clearInterval(timer))
    })
    const source = open('/s', { readTimeout: 400 })
    const events = recordEvents(source)
    await waitFor(() => source.readyState === EventSource.OPEN)
    await settle(500)
    expect(typesOf(events)).toEqual(['open'])
    expect(server.requests).toHaveLength(1)
  })

  test('a response whose headers never come is dropped after readTimeout', async () => {
    server.route('/s', (_req, res, request) => {
      if (request.attempt > 0) startStream(res).write('data: second try\n\n')
    })
    const source = open('/s', { readTimeout: 60, retryDelay: 5 })
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length === 1)
    expect(events[0].event as EventSourceErrorEvent).toMatchObject({ kind: 'timeout', status: undefined })
  })

  test('a body that never starts after its headers is dropped after readTimeout', async () => {
    server.route('/s', (_req, res, request) => {
      startStream(res)
      if (request.attempt > 0) res.write('data: ok\n\n')
    })
    const source = open('/s', { readTimeout: 300, retryDelay: 5 })
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length === 1)
    expect(typesOf(events)).toEqual(['open', 'error', 'open', 'message'])
  })

  test('shouldRetry can turn a read timeout into a failure', async () => {
    server.route('/s', (_req, res) => startStream(res))
    const source = open('/s', { readTimeout: 300, shouldRetry: (failure) => failure.kind !== 'timeout' })
    const events = recordEvents(source)
    await waitFor(() => source.readyState === EventSource.CLOSED)
    expect(typesOf(events)).toEqual(['open', 'error'])
    expect((events[1].event as EventSourceErrorEvent).retryDelay).toBeUndefined()
  })

  test('readTimeout must be a positive number of ms (RangeError/TypeError naming it)', () => {
    expect(() => open('/s', { readTimeout: 0 })).toThrow(/`readTimeout`/)
    expect(() => open('/s', { readTimeout: -5 })).toThrow(RangeError)
    expect(() => open('/s', { readTimeout: Number.POSITIVE_INFINITY })).toThrow(RangeError)
    expect(() => open('/s', { readTimeout: '100' as unknown as number })).toThrow(TypeError)
  })
})
