/**
 * The command line of `isomorphic-eventsource`: its flags, their checks and the usage text.
 * Parsing is `util.parseArgs` (Node 18.3+) in strict mode; every value is checked here, so a bad
 * one is a usage error (exit status 2) that names the flag.
 */
import { parseArgs } from 'node:util'

/** The program's name, as `npx` and the `bin` entry know it. */
export const PROGRAM = 'isomorphic-eventsource'

/** `--retry`: which failed connection attempts are retried. */
export type RetryPolicy = 'spec' | 'always' | 'never'

/** What the command line asks for, checked. */
export interface TailOptions {
  /** The stream's URL: absolute, http: or https:. */
  url: string
  /** `-H`, in order; a name given twice is sent once, its values joined with ", ". */
  headers: [name: string, value: string][]
  /** `-X`; POST when only `-d` is given, else the library's default (GET). */
  method: string | undefined
  /** `-d` as given: the body text, `@file` or `@-` (standard input). */
  data: string | undefined
  lastEventId: string | undefined
  retryDelay: number | undefined
  readTimeout: number | undefined
  retry: RetryPolicy
  once: boolean
  /** `-n`: exit after printing this many events. */
  maxEvents: number | undefined
  /** `--type`: print only these event types; undefined prints every type. */
  types: ReadonlySet<string> | undefined
  json: boolean
  noColor: boolean
}

export type Command = { action: 'help' } | { action: 'version' } | { action: 'tail'; options: TailOptions }

/** A command line the program cannot run: exit status 2, the message and the usage on stderr. */
export class UsageError extends Error {
  override name = 'UsageError'
}

export const USAGE = `Usage: ${PROGRAM} [options] <url>

Prints the events of a server-sent event stream as an EventSource receives them: it reconnects
after a network error or the end of the stream, resuming with Last-Event-ID. Events go to
standard output; connection notices (open, errors, reconnections) go to standard error.

Request:
  -H, --header "Name: value"   send a request header (repeatable)
  -X, --method METHOD          request method (default: GET, or POST with --data)
  -d, --data DATA              request body, sent again on every reconnection: text,
                               @file for a file's bytes, @- for standard input
      --last-event-id ID       Last-Event-ID to send on the first request

Reconnection:
      --retry-delay MS         reconnection time until the server sends retry: (default: 3000)
      --read-timeout MS        reconnect when nothing arrives for MS milliseconds (default: none)
      --retry spec|always|never
                               spec (default): reconnect after network errors, the end of the
                               stream and read timeouts; stop on HTTP errors and wrong content
                               types. always: reconnect after those too. never: stop at the first
                               failure or end of the stream
      --once                   exit when the server ends the stream instead of reconnecting

Output:
  -n, --max-events N           exit after printing N events
      --type NAME              print only events of this type (repeatable; default: every type)
      --json                   one JSON object per line: {"type","data","id","timestamp"}
      --no-color               no colours (also: the NO_COLOR environment variable, or when
                               the output is not a terminal)
  -V, --version                print the version
  -h, --help                   print this help

Exit status: 0 when it ended as asked (-n reached, or --once and the server ended the stream);
1 when the connection failed for good; 2 on a usage error; 130 when interrupted (Ctrl-C).

Examples:
  ${PROGRAM} https://example.com/events
  ${PROGRAM} -H "Authorization: Bearer $TOKEN" https://example.com/events
  ${PROGRAM} -X POST -H "Content-Type: application/json" -d @request.json https://example.com/v1/chat
  ${PROGRAM} --json -n 10 https://example.com/events | jq -r .data
`

const FLAGS = {
  header: { type: 'string', short: 'H', multiple: true },
  method: { type: 'string', short: 'X', multiple: true },
  data: { type: 'string', short: 'd', multiple: true },
  'last-event-id': { type: 'string', multiple: true },
  'retry-delay': { type: 'string', multiple: true },
  'read-timeout': { type: 'string', multiple: true },
  retry: { type: 'string', multiple: true },
  once: { type: 'boolean' },
  'max-events': { type: 'string', short: 'n', multiple: true },
  type: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  // Declared as its own flag: `allowNegative` (which would derive it from `color`) needs Node 22.4.
  'no-color': { type: 'boolean' },
  version: { type: 'boolean', short: 'V' },
  help: { type: 'boolean', short: 'h' },
} as const

/** The longest delay `setTimeout` accepts (2^31−1 ms); the library refuses longer read timeouts. */
const MAX_TIMER_DELAY_MS = 2_147_483_647

/**
 * Reads the command line (without `node` and the script).
 * @throws UsageError for an unknown flag, a missing or bad value, or a bad URL.
 */
export function parseCommandLine(argv: readonly string[]): Command {
  let parsed: ReturnType<typeof parseFlags>
  try {
    parsed = parseFlags(argv)
  } catch (error) {
    // parseArgs's own messages name the flag ("Unknown option '--colour'").
    throw new UsageError((error as Error).message)
  }
  const { values, positionals } = parsed
  if (values.help) return { action: 'help' }
  if (values.version) return { action: 'version' }
  const data = single('--data', values.data)
  const method = single('--method', values.method)
  if (data !== undefined && method !== undefined && /^(GET|HEAD)$/i.test(method)) {
    throw new UsageError(`--data cannot be sent with --method ${method}: a ${method} request has no body`)
  }
  return {
    action: 'tail',
    options: {
      url: checkUrl(positionals),
      headers: (values.header ?? []).map(parseHeader),
      // As curl does: a body without a method is a POST (GET cannot carry one).
      method: method ?? (data === undefined ? undefined : 'POST'),
      data,
      lastEventId: single('--last-event-id', values['last-event-id']),
      retryDelay: milliseconds('--retry-delay', single('--retry-delay', values['retry-delay']), 0),
      readTimeout: milliseconds('--read-timeout', single('--read-timeout', values['read-timeout']), 1),
      retry: retryPolicy(single('--retry', values.retry)),
      once: values.once ?? false,
      maxEvents: count('--max-events', single('--max-events', values['max-events'])),
      types: values.type === undefined ? undefined : new Set(values.type),
      json: values.json ?? false,
      noColor: values['no-color'] ?? false,
    },
  }
}

function parseFlags(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: FLAGS, allowPositionals: true, strict: true })
}

/** A flag that may be given once: repeating it is more likely a mistake than an override. */
function single(flag: string, values: string[] | undefined): string | undefined {
  if (values !== undefined && values.length > 1) throw new UsageError(`${flag} was given ${values.length} times; give it once`)
  return values?.[0]
}

function checkUrl(positionals: string[]): string {
  if (positionals.length === 0) throw new UsageError('missing the URL of the event stream')
  if (positionals.length > 1) throw new UsageError(`expected one URL, got ${positionals.length}: ${positionals.join(' ')}`)
  const [text] = positionals
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new UsageError(`not an absolute URL: ${JSON.stringify(text)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`the URL must be http: or https:, got ${JSON.stringify(text)}`)
  }
  return url.href
}

/** `-H "Name: value"`, as curl takes it: split at the first colon, spaces around the value dropped. */
function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(':')
  const name = colon > 0 ? text.slice(0, colon).trim() : ''
  if (name === '') throw new UsageError(`--header must be "Name: value", got ${JSON.stringify(text)}`)
  return [name, text.slice(colon + 1).trim()]
}

function retryPolicy(value: string | undefined): RetryPolicy {
  if (value === undefined) return 'spec'
  if (value === 'spec' || value === 'always' || value === 'never') return value
  throw new UsageError(`--retry must be spec, always or never, got ${JSON.stringify(value)}`)
}

/** A whole number of milliseconds from `min` up to the longest timer. */
function milliseconds(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined
  const ms = wholeNumber(value)
  if (ms === undefined || ms < min || ms > MAX_TIMER_DELAY_MS) {
    throw new UsageError(
      `${flag} must be a whole number of milliseconds from ${min} to ${MAX_TIMER_DELAY_MS}, got ${JSON.stringify(value)}`,
    )
  }
  return ms
}

function count(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = wholeNumber(value)
  if (n === undefined || n < 1) throw new UsageError(`${flag} must be a whole number of at least 1, got ${JSON.stringify(value)}`)
  return n
}

/** Decimal digits only: no sign, exponent, fraction or spaces ("1e3" and " 5" are mistakes here). */
function wholeNumber(text: string): number | undefined {
  return /^\d{1,15}$/.test(text) ? Number(text) : undefined
}
