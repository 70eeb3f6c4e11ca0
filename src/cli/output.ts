/**
 * How the command line prints: events on standard output (readable text, or one JSON object per
 * line with `--json`), connection notices on standard error, colours only on a terminal.
 */

/** One event as printed. */
export interface PrintedEvent {
  /** The event type (`message` when the server sent no `event:` field). */
  type: string
  data: string
  /** The event's last event ID (`''` when the stream has set none). */
  id: string
}

/** Wraps text in one ANSI style, or leaves it as it is when colours are off. */
export type Paint = (style: Style, text: string) => string
export type Style = 'label' | 'dim' | 'good' | 'warn' | 'bad'

const ANSI: Record<Style, [open: string, close: string]> = {
  label: ['\x1b[36m', '\x1b[39m'],
  dim: ['\x1b[2m', '\x1b[22m'],
  good: ['\x1b[32m', '\x1b[39m'],
  warn: ['\x1b[33m', '\x1b[39m'],
  bad: ['\x1b[31m', '\x1b[39m'],
}

const coloured: Paint = (style, text) => ANSI[style][0] + text + ANSI[style][1]
const plain: Paint = (_style, text) => text

/**
 * Colours go to a terminal only: never to a pipe or a file, never with `--no-color`, and never
 * when the `NO_COLOR` environment variable is set to anything but the empty string
 * (https://no-color.org).
 */
export function shouldColor(stream: { isTTY?: boolean }, env: Record<string, string | undefined>, noColorFlag: boolean): boolean {
  return stream.isTTY === true && !noColorFlag && !env.NO_COLOR
}

export function painter(color: boolean): Paint {
  return color ? coloured : plain
}

/**
 * An event as a person reads it: the data alone for a `message` without an id; otherwise a label
 * in brackets first, `[update id=42] …`. The lines of multi-line data after the first are indented,
 * so that a line starting at the margin always starts an event.
 */
export function formatPretty(event: PrintedEvent, paint: Paint): string {
  const parts: string[] = []
  if (event.type !== 'message') parts.push(event.type)
  if (event.id !== '') parts.push(`id=${event.id}`)
  const label = parts.length === 0 ? '' : `[${parts.join(' ')}]`
  const lines = event.data.split('\n')
  const indent = ' '.repeat(label === '' ? 2 : label.length + 1)
  const first = label === '' ? lines[0] : lines[0] === '' ? paint('label', label) : `${paint('label', label)} ${lines[0]}`
  let text = first
  for (let i = 1; i < lines.length; i++) text += `\n${indent}${lines[i]}`
  return `${text}\n`
}

/** An event as one line of JSON: `{"type","data","id","timestamp"}`, the time it was received in ISO 8601. */
export function formatJson(event: PrintedEvent, receivedAt: Date): string {
  return `${JSON.stringify({ type: event.type, data: event.data, id: event.id, timestamp: receivedAt.toISOString() })}\n`
}

/** What an error event says, as the command line reports it. */
export interface FailureNotice {
  kind: string
  status: number | undefined
  message: string
  attempt: number
  /** The ms until the next attempt; undefined when the source has closed. */
  retryDelay: number | undefined
}

export function openNotice(url: string, paint: Paint): string {
  return `${paint('good', '* connected')} ${url}\n`
}

/**
 * `* error: HTTP 401 Unauthorized (kind http, status 401, attempt 1)`, or for the end of the
 * stream `* the server ended the stream (kind end, attempt 1)`.
 */
export function errorNotice(failure: FailureNotice, paint: Paint): string {
  const status = failure.status === undefined ? '' : `, status ${failure.status}`
  const detail = paint('dim', `(kind ${failure.kind}${status}, attempt ${failure.attempt})`)
  const headline = failure.kind === 'end' ? paint('warn', `* ${failure.message}`) : `${paint('bad', '* error:')} ${failure.message}`
  return `${headline} ${detail}\n`
}

/** `* reconnecting in 3000 ms (Last-Event-ID: 42)` */
export function reconnectNotice(delay: number, lastEventId: string, paint: Paint): string {
  const resume = lastEventId === '' ? 'no Last-Event-ID' : `Last-Event-ID: ${lastEventId}`
  return `${paint('warn', `* reconnecting in ${delay} ms`)} (${resume})\n`
}

export function notice(text: string, style: Style, paint: Paint): string {
  return `${paint(style, `* ${text}`)}\n`
}
