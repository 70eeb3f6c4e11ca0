/**
 * What the browser script defines as the global `IsomorphicEventSource`: the main entry's values
 * but `SharedEventSource`, which is for apps that bundle the package, so the script carries no
 * byte of it. Listed one by one: a new export of the main entry is added here on purpose.
 */
export { EventSource } from './event-source'
export { EventSourceErrorEvent } from './error-event'
export { exponentialBackoff, constantBackoff } from './backoff'
