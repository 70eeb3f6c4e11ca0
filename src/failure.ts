import type { ConnectionFailure, FailureKind, ResponseLike } from './types'

/** A failure as the connection reports it; the source adds the attempt count. */
export type FailureDetails = Omit<ConnectionFailure, 'attempt'>

/**
 * The spec's choice between reestablishing and failing the connection (HTML § 9.2.3, the
 * EventSource constructor's processResponse and processEventSourceEndOfBody): a network error or
 * the end of the body reestablishes; a status other than 200 or another content type fails.
 * Extensions: a read timeout is handled like a network error; an oversized event fails.
 */
export function retriesByDefault(failure: { kind: FailureKind }): boolean {
  return failure.kind === 'network' || failure.kind === 'end' || failure.kind === 'timeout'
}

/**
 * Describes a failure. `status` is set only when the response itself was the failure (`http`,
 * `content-type`): after a good response (`end`, `timeout`, `event-size`) or without one
 * (`network`) it stays undefined, so a policy such as `status === undefined || status >= 500`
 * retries those; the response headers are there wherever there was a response.
 */
export function failure(kind: FailureKind, message: string, response?: ResponseLike, cause?: unknown): FailureDetails {
  const status = kind === 'http' || kind === 'content-type' ? response?.status : undefined
  return { kind, status, headers: response?.headers as Headers | undefined, message, cause }
}

/** "HTTP 503 Service Unavailable" */
export function httpFailure(response: ResponseLike): FailureDetails {
  const reason = response.statusText ? ` ${response.statusText}` : ''
  return failure('http', `HTTP ${response.status}${reason}`, response)
}

export function contentTypeFailure(response: ResponseLike): FailureDetails {
  const type = response.headers.get('content-type')
  const got = type === null ? 'no content type' : `content type "${type}"`
  return failure('content-type', `expected content type text/event-stream, got ${got}`, response)
}

export function networkFailure(cause: unknown, response?: ResponseLike, what = 'network error'): FailureDetails {
  return failure('network', `${what}: ${describeError(cause)}`, response, cause)
}

/**
 * "fetch failed (connect ECONNREFUSED 127.0.0.1:1)": the error's message and its cause's. Never
 * throws: a custom fetch may reject with anything (an object without toString, a throwing getter).
 */
function describeError(error: unknown): string {
  try {
    const message = messageOf(error)
    const cause = messageOf((error as { cause?: unknown } | null)?.cause)
    return cause && cause !== message ? `${message} (${cause})` : message
  } catch {
    return 'unknown error'
  }
}

/** An error's message, by shape rather than `instanceof` (errors may come from another realm). */
function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message
  return typeof message === 'string' ? message : error === undefined ? '' : String(error)
}
