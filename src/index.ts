export { EventSource } from './event-source'
export type { EventSourceEventMap, EventSourceShape } from './event-source'
export { EventSourceErrorEvent } from './error-event'
export { SharedEventSource } from './shared-event-source'
export type { SharedEventSourceInit } from './shared-event-source'
export { exponentialBackoff, constantBackoff } from './backoff'
export type { ConnectionFailureError, EventIteratorOptions } from './event-iterator'
export type { ExponentialBackoffOptions } from './backoff'
export type {
  BackoffStrategy,
  ConnectionFailure,
  EventSourceInit,
  EventSourceRequestInit,
  FailureKind,
  FetchLike,
  HeadersInitLike,
  HeadersOption,
  RequestBody,
  ResponseLike,
} from './types'
