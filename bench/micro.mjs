#!/usr/bin/env node
// `node bench/micro.mjs`: the measurements behind src/event-stream.ts's choices, in this process,
// on the bench's own streams cut into 64 KiB chunks (no network). Prints the median of 7 timings.
//   1. Finding line ends in bytes: V8's Uint8Array.prototype.indexOf/lastIndexOf against Node's
//      Buffer.prototype ones (native memchr; they accept any Uint8Array as `this`).
//   2. Decoding pieces that end in a line end: Node's one-shot TextDecoder#decode (V8's UTF-8
//      decoder) against a decoder used with {stream: true} (ICU's converter: Node switches a
//      decoder to it for good the first time it is called so).
//   3. What eventsource-parser costs when fed chunk by chunk (it joins a line's fragments with the
//      next chunk) against being fed only complete lines.
import { createParser } from 'eventsource-parser'
import { buildStream, resolveWorkload } from './lib/workloads.mjs'

const quick = process.argv.includes('--quick')

function median(f) {
  f()
  const times = []
  for (let i = 0; i < 7; i++) {
    const start = process.hrtime.bigint()
    f()
    times.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  return times.sort((a, b) => a - b)[3]
}

const u8 = Uint8Array.prototype
const buf = Buffer.prototype
const rows = []
for (const name of ['small', 'multiline', 'large-ascii', 'large-utf8']) {
  const { buffer } = buildStream(resolveWorkload(name, quick))
  const chunks = []
  for (let i = 0; i < buffer.length; i += 65536) chunks.push(new Uint8Array(buffer.subarray(i, i + 65536)))
  // Complete-line pieces: each chunk up to its last LF, with the previous chunk's tail before it.
  const pieces = []
  let tail = new Uint8Array(0)
  for (const chunk of chunks) {
    const last = chunk.lastIndexOf(10)
    const piece = new Uint8Array(tail.length + last + 1)
    piece.set(tail)
    piece.set(chunk.subarray(0, last + 1), tail.length)
    pieces.push(piece)
    tail = chunk.slice(last + 1)
  }
  const oneShot = new TextDecoder('utf-8', { ignoreBOM: true })
  const streaming = new TextDecoder('utf-8', { ignoreBOM: true })
  const texts = pieces.map((p) => oneShot.decode(p))
  const chunkTexts = chunks.map((c) => streaming.decode(c, { stream: true }))
  let sink = 0
  const scan = (proto, method, byte) => () => {
    for (const chunk of chunks) sink += proto[method].call(chunk, byte)
  }
  const parse = (inputs) => () => {
    let n = 0
    const parser = createParser({ onEvent: () => n++ })
    for (const text of inputs) parser.feed(text)
    sink += n
  }
  rows.push([
    name,
    `${(buffer.length / 1e6).toFixed(1)} MB`,
    median(scan(u8, 'lastIndexOf', 13)),
    median(scan(buf, 'lastIndexOf', 13)),
    median(() => {
      for (const p of pieces) sink += oneShot.decode(p).length
    }),
    median(() => {
      for (const p of pieces) sink += streaming.decode(p, { stream: true }).length
    }),
    median(parse(chunkTexts)),
    median(parse(texts)),
  ])
  if (sink === -1) console.log(sink)
}

const head = [
  'workload',
  'bytes',
  'u8 lastIndexOf(CR)',
  'Buffer lastIndexOf(CR)',
  'decode one-shot',
  'decode stream',
  'parser, chunks',
  'parser, lines',
]
console.log(`node ${process.version}; ms for the whole stream (64 KiB chunks), median of 7\n`)
console.log(head.map((h, i) => (i < 2 ? h.padEnd(12) : h.padStart(i < 4 ? 24 : 17))).join(''))
for (const row of rows) {
  console.log(row.map((v, i) => (i < 2 ? String(v).padEnd(12) : v.toFixed(1).padStart(i < 4 ? 24 : 17))).join(''))
}
console.log('\n(a CR search misses on these streams: it scans every byte, the worst case)')
