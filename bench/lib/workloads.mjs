// Workload definitions (sizes for a full and a --quick run) and the builders of the pre-built
// streams. Builders run in the server process; they return the whole stream as one Buffer and
// what a correct client must see (event count, checksum of the data strings, bytes, chars).
import { mix } from './checksum.mjs'

/** Implementations run for stream and latency workloads, and for churn. */
export const STREAM_IMPLS = [
  'ours',
  'ours-iterate',
  'await-floor',
  'eventsource',
  'http-raw',
  'fetch-text',
  'fetch-parser',
  'fetch-dispatch',
]
export const CHURN_IMPLS = ['ours', 'eventsource', 'fetch-loop']
export const IDLE_IMPLS = ['ours', 'eventsource', 'fetch-idle']

export const IMPL_NOTES = {
  ours: 'this library (dist/index.mjs), addEventListener',
  'ours-iterate': 'this library, for await (const event of source.events({ types: [type] })), default highWaterMark',
  'await-floor':
    'limit: this library with a listener that hands each event to the simplest for-await loop (a bare queue): what any async iteration costs',
  eventsource: 'eventsource npm package (peer), addEventListener',
  'http-raw': 'limit: node:http, counts bytes and LF LF (no decoding)',
  'fetch-text': 'limit: fetch + streaming TextDecoder, counts bytes and chars (no parsing)',
  'fetch-parser': 'limit: fetch + TextDecoder + eventsource-parser, no dispatch',
  'fetch-dispatch': 'floor: fetch-parser + new MessageEvent(type, { data, origin, lastEventId }) + dispatchEvent on a plain EventTarget',
  'fetch-loop': 'limit: raw fetch reconnect loop, minimal parsing',
  'fetch-idle': 'limit: fetch + one pending reader.read() per stream (what any fetch-based source holds)',
}

/** Every workload: `kind` decides the server route and the client loop. */
export const WORKLOADS = {
  small: { kind: 'stream', events: [200_000, 20_000], describe: 'events with id: and ~60 bytes of JSON data' },
  'large-ascii': { kind: 'stream', events: [2_000, 200], size: 65_536, multibyte: false, describe: '64 KiB ASCII JSON-like data' },
  'large-utf8': {
    kind: 'stream',
    events: [2_000, 200],
    size: 65_536,
    multibyte: true,
    describe: '64 KiB JSON-like data with multi-byte characters',
  },
  multiline: {
    kind: 'stream',
    events: [50_000, 5_000],
    lines: 10,
    eventType: 'tick',
    describe: '`event: tick`, 10 data lines, addEventListener("tick")',
  },
  'large-mixed': {
    kind: 'stream',
    events: [2_000, 200],
    size: 65_536,
    describe: '64 KiB single-line events, text with 2 % multi-byte characters (2-, 3-, 4-byte)',
  },
  'multiline-mixed': {
    kind: 'stream',
    events: [50_000, 5_000],
    lines: 10,
    eventType: 'tick',
    describe: '`event: tick` + 10 data lines (~370 B), text with 2 % multi-byte characters',
  },
  idle: {
    kind: 'idle',
    sources: [
      [1_000, 5_000],
      [200, 500],
    ],
    describe: 'N sources open to one origin at once, each given one event, then idle: heap per source after gc',
  },
  latency: { kind: 'latency', events: [3_000, 500], skip: [100, 50], describe: 'one event per ms, send-to-listener time' },
  churn: {
    kind: 'churn',
    events: [500, 50],
    snapshotAt: [100, 10],
    snapshotEvery: [50, 5],
    describe: 'one event, then the server closes (retry: 1); ours with constantBackoff',
  },
}

/** Resolves the sizes of one workload for a full or quick run. */
export function resolveWorkload(name, quick) {
  const w = WORKLOADS[name]
  if (!w) throw new Error(`unknown workload ${name}`)
  const pick = (v) => (Array.isArray(v) ? v[quick ? 1 : 0] : v)
  const out = { name }
  for (const [k, v] of Object.entries(w)) out[k] = pick(v)
  // The iterator and the dispatch floor run the stream workloads (not latency, which times each
  // event from the listener).
  out.impls =
    w.kind === 'churn'
      ? CHURN_IMPLS
      : w.kind === 'idle'
        ? IDLE_IMPLS
        : w.kind === 'latency'
          ? STREAM_IMPLS.filter((i) => i !== 'ours-iterate' && i !== 'await-floor' && i !== 'fetch-dispatch')
          : STREAM_IMPLS
  return out
}

/** A small deterministic PRNG (mulberry32), so every build of a workload is the same. */
function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function finish(parts, datas, extra = {}) {
  const text = parts.join('')
  const buffer = Buffer.from(text, 'utf8')
  let h = 0
  let dataChars = 0
  for (const d of datas) {
    h = mix(h, d)
    dataChars += d.length
  }
  return {
    buffer,
    expected: { events: datas.length, hash: h, dataChars, bytes: buffer.length, chars: text.length, ...extra },
  }
}

const SYMBOLS = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'NVDA', 'TSLA', 'META', 'NFLX']

function buildSmall(w) {
  const rnd = prng(1)
  const parts = []
  const datas = []
  for (let i = 0; i < w.events; i++) {
    const bid = (100 + rnd() * 900).toFixed(2)
    const data = `{"seq":${i},"sym":"${SYMBOLS[i & 7]}","bid":${bid},"ask":${bid},"size":${(rnd() * 1000) | 0}}`
    datas.push(data)
    parts.push(`id: ${i}\ndata: ${data}\n\n`)
  }
  return finish(parts, datas, { lastEventId: String(w.events - 1) })
}

const ASCII_NAMES = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel']
const MB_NAMES = ['café', 'naïve', 'Zürich', '€uro', '日本語', 'emoji😀', 'Ωmega', 'straße']

function buildLarge(w) {
  const rnd = prng(w.multibyte ? 3 : 2)
  const parts = []
  const datas = []
  const limit = w.size - 120
  for (let i = 0; i < w.events; i++) {
    const items = []
    let bytes = 20
    for (let k = 0; bytes < limit; k++) {
      const r = rnd()
      // About one item in four carries a multi-byte name in the utf8 payload.
      const name = w.multibyte && r < 0.25 ? MB_NAMES[(r * 32) | 0] : ASCII_NAMES[(r * 8) | 0]
      const item = `{"id":${k},"name":"${name}-${k}","active":${r < 0.5},"score":${(r * 100).toFixed(3)},"tags":["x","y"]}`
      items.push(item)
      bytes += Buffer.byteLength(item) + 1
    }
    const data = `{"seq":${i},"items":[${items.join(',')}]}`
    datas.push(data)
    parts.push(`data: ${data}\n\n`)
  }
  return finish(parts, datas)
}

function buildMultiline(w) {
  const parts = []
  const datas = []
  for (let i = 0; i < w.events; i++) {
    const lines = []
    for (let j = 0; j < w.lines; j++) lines.push(`${i}.${j} the quick brown fox ${(i * 7 + j) % 1000}`)
    datas.push(lines.join('\n'))
    parts.push(`event: tick\ndata: ${lines.join('\ndata: ')}\n\n`)
  }
  return finish(parts, datas)
}

/**
 * Text in which about 2 % of the characters are multi-byte in UTF-8, in turn 2-, 3- and 4-byte ones
 * (é, €, 😀): words of ASCII letters with a space between them, like prose or JSON strings.
 */
function mixedText(rnd, chars) {
  const MULTI = ['é', '€', '😀']
  let out = ''
  let k = 0
  while (out.length < chars) {
    const r = rnd()
    if (r < 0.02) out += MULTI[k++ % 3]
    else if (r < 0.18) out += ' '
    else out += String.fromCharCode(97 + (((r * 1000) | 0) % 26))
  }
  return out
}

/** 64 KiB single-line events of mixed text (the server's 64 KiB slices cut through them and their characters). */
function buildLargeMixed(w) {
  const rnd = prng(4)
  // Sixteen texts, each event one of them behind its own number: building 2,000 × 64 KiB of text
  // character by character would take the server minutes.
  const texts = Array.from({ length: 16 }, () => mixedText(rnd, Math.floor((w.size - 16) / 1.034)))
  const parts = []
  const datas = []
  for (let i = 0; i < w.events; i++) {
    // `data: ` + text + LF LF is about w.size bytes: ~2 % of the characters take 2–4 bytes.
    const data = `${String(i).padStart(7, '0')} ${texts[i % 16]}`
    datas.push(data)
    parts.push(`data: ${data}\n\n`)
  }
  return finish(parts, datas)
}

/** Typed ten-line events of mixed text, about 370 bytes each. */
function buildMultilineMixed(w) {
  const rnd = prng(5)
  const parts = []
  const datas = []
  for (let i = 0; i < w.events; i++) {
    const lines = []
    for (let j = 0; j < w.lines; j++) lines.push(mixedText(rnd, 28))
    datas.push(lines.join('\n'))
    parts.push(`event: tick\ndata: ${lines.join('\ndata: ')}\n\n`)
  }
  return finish(parts, datas)
}

/** The data of churn cycle `n` (1-based) — the server picks n from Last-Event-ID + 1. */
export function churnData(n) {
  return `cycle ${n} {"status":"ok","payload":"${'z'.repeat(40)}"}`
}

/** The checksum part of a latency event's data `SEQ TIMESTAMP` is the SEQ. */
export function latencyExpected(w) {
  let h = 0
  for (let i = 0; i < w.events; i++) h = mix(h, String(i))
  return { events: w.events, hash: h }
}

export function churnExpected(w) {
  let h = 0
  let dataChars = 0
  for (let n = 1; n <= w.events; n++) {
    const d = churnData(n)
    h = mix(h, d)
    dataChars += d.length
  }
  return { events: w.events, hash: h, dataChars, lastEventId: String(w.events) }
}

export function buildStream(w) {
  if (w.name === 'small') return buildSmall(w)
  if (w.name === 'large-ascii' || w.name === 'large-utf8') return buildLarge(w)
  if (w.name === 'multiline') return buildMultiline(w)
  if (w.name === 'large-mixed') return buildLargeMixed(w)
  if (w.name === 'multiline-mixed') return buildMultilineMixed(w)
  throw new Error(`no stream builder for ${w.name}`)
}
