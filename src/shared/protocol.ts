/**
 * What the sources sharing a connection say to each other over their BroadcastChannel (one
 * channel per share key). The leader posts what its connection does — `open`, each message,
 * each `error` — and answers `hello`, which a source posts when it joins, with `state`. A source
that takes the lead waits for its own `probe` before it connects. Only
 * structured-cloneable values travel: an error event's `Headers` go as pairs and its `cause` as
 * a name and a message, and the receiver rebuilds the event.
 */
import { EventSourceErrorEvent } from '../error-event'
import { MessageEventImpl } from '../message-event'
import type { FailureKind } from '../types'

/** A joining source asks the leader for the connection's readyState. */
export interface HelloBroadcast {
  kind: 'hello'
}

/** The leader's answer to `hello`. */
export interface StateBroadcast {
  kind: 'state'
  readyState: number
}

/** The connection was announced (HTML § 9.2.3 "announce the connection"). */
export interface OpenBroadcast {
  kind: 'open'
}

/** One message event, as the leader dispatched it. */
export interface MessageBroadcast {
  kind: 'message'
  type: string
  data: string
  lastEventId: string
  origin: string
}

/** One error event, as the leader dispatched it, with the readyState it left the source in. */
export interface ErrorBroadcast {
  kind: 'error'
  readyState: number
  failure: {
    kind: FailureKind
    status: number | undefined
    headers: [string, string][] | undefined
    message: string
    cause: { name: string; message: string } | undefined
    attempt: number
  }
  retryDelay: number | undefined
}

/**
 * Posted by a source that was just granted the lock, to itself: when it comes back, every message
 * posted before it has arrived. Every other source ignores it.
 */
export interface ProbeBroadcast {
  kind: 'probe'
  token: string
}

export type Broadcast = HelloBroadcast | StateBroadcast | OpenBroadcast | MessageBroadcast | ErrorBroadcast | ProbeBroadcast

/** The channel's (and the lock's) name for one share key. */
export function channelName(url: string, withCredentials: boolean, shareKey: string): string {
  return `isomorphic-eventsource ${JSON.stringify([url, withCredentials, shareKey])}`
}

export function messageBroadcast(event: MessageEvent): MessageBroadcast {
  return { kind: 'message', type: event.type, data: event.data as string, lastEventId: event.lastEventId, origin: event.origin }
}

/** A real `MessageEvent` with the leader's type, data, last event ID and origin. */
export function messageFromBroadcast(message: MessageBroadcast): MessageEvent {
  const { data, lastEventId, origin } = message
  return new MessageEventImpl(message.type, { data, lastEventId, origin })
}

export function errorBroadcast(event: EventSourceErrorEvent, readyState: number): ErrorBroadcast {
  const { kind, status, headers, message, cause, attempt } = event
  return {
    kind: 'error',
    readyState,
    failure: { kind, status, headers: headerPairs(headers), message, cause: describeCause(cause), attempt },
    retryDelay: event.retryDelay,
  }
}

/** An `EventSourceErrorEvent` with the leader's details: the headers and the cause rebuilt. */
export function errorFromBroadcast(message: ErrorBroadcast): EventSourceErrorEvent {
  const { headers, cause, ...rest } = message.failure
  const rebuiltCause = cause && Object.assign(new Error(cause.message), { name: cause.name })
  return new EventSourceErrorEvent({ ...rest, headers: headers && new Headers(headers), cause: rebuiltCause }, message.retryDelay)
}

function headerPairs(headers: Headers | undefined): [string, string][] | undefined {
  if (typeof headers?.forEach !== 'function') return undefined
  const pairs: [string, string][] = []
  headers.forEach((value, name) => {
    pairs.push([name, value])
  })
  return pairs
}

/** An error's name and message; never throws, whatever `cause` is. */
function describeCause(cause: unknown): { name: string; message: string } | undefined {
  if (cause === undefined) return undefined
  try {
    const { name, message } = cause as { name?: unknown; message?: unknown }
    if (typeof message === 'string') return { name: typeof name === 'string' ? name : 'Error', message }
    return { name: 'Error', message: String(cause) }
  } catch {
    return { name: 'Error', message: 'unknown error' }
  }
}
