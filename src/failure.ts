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

export function httpFailure(response: ResponseLike): FailureDetails {
  const reason = response.statusText ? ` ${response.statusText}` : ''
  return fromResponse('http', response, `HTTP ${response.status}${reason}`)
}

export function contentTypeFailure(response: ResponseLike): FailureDetails {
  const type = response.headers.get('content-type')
  const got = type === null ? 'no content type' : `content type "${type}"`
  return fromResponse('content-type', response, `expected content type text/event-stream, got ${got}`)
}

// The failures below happen without a response or after a good one: `status` stays undefined (it
// only says what was wrong with a response), so a policy such as
// `status === undefined || status >= 500` retries them; the response headers are still there.

export function endFailure(response: ResponseLike): FailureDetails {
  return afterResponse('end', response, 'the server ended the stream', undefined)
}

export function eventSizeFailure(response: ResponseLike, maxEventSize: number): FailureDetails {
  const message = `an event or line grew past \`maxEventSize\` (${maxEventSize} characters) without ending`
  return afterResponse('event-size', response, message, undefined)
}

export function timeoutFailure(readTimeout: number, response: ResponseLike | undefined): FailureDetails {
  return afterResponse('timeout', response, `read timeout after ${readTimeout} ms`, undefined)
}

export function networkFailure(cause: unknown, response: ResponseLike | undefined): FailureDetails {
  return afterResponse('network', response, `network error: ${describeError(cause)}`, cause)
}

/** Extension: the `headers` function threw or returned headers that cannot be sent. */
export function headersFailure(cause: unknown): FailureDetails {
  return afterResponse('network', undefined, `the \`headers\` option failed: ${describeError(cause)}`, cause)
}

/** A failure of the response itself: its status is part of the story. */
function fromResponse(kind: FailureKind, response: ResponseLike, message: string): FailureDetails {
  return { kind, status: response.status, headers: response.headers as Headers, message, cause: undefined }
}

function afterResponse(
  kind: FailureKind,
  response: ResponseLike | undefined,
  message: string,
  cause: unknown,
): FailureDetails {
  return { kind, status: undefined, headers: response?.headers as Headers | undefined, message, cause }
}

/**
 * "fetch failed (connect ECONNREFUSED 127.0.0.1:1)": the error's message and its causes'. Errors
 * are recognised by shape, not `instanceof Error`: fetch's errors may come from another realm (a
 * jest or vm context, an iframe). Never throws, whatever was thrown.
 */
function describeError(error: unknown): string {
  const parts: string[] = []
  let current: unknown = error
  for (let depth = 0; current !== undefined && current !== null && depth < 3; depth++) {
    let message: string
    let cause: unknown
    try {
      const errorLike = typeof current === 'object' && typeof (current as { message?: unknown }).message === 'string'
      message = errorLike ? (current as { message: string }).message : String(current)
      cause = errorLike ? (current as { cause?: unknown }).cause : undefined
    } catch {
      message = 'an error that cannot be described'
      cause = undefined
    }
    if (message && !parts.includes(message)) parts.push(message)
    current = cause
  }
  return parts.length === 0 ? 'unknown error' : parts[0] + parts.slice(1).map((part) => ` (${part})`).join('')
}
