// `npm run check:size` (part of `npm test`, after the build): the browser script, minified and
// gzipped, must stay under the budget, eventsource-parser included.
//
//   node scripts/size-budget.mjs            checks dist/eventsource.min.js against the budget
//   node scripts/size-budget.mjs --explain  also shows what each source file contributes
//
// The file is measured as it is shipped (licence banner and source-map comment included), gzipped at
// level 9 (`gzip -9`); brotli is shown for information. Sizes are in bytes, as size-limit and
// bundlephobia print them.
//
// The budget is a ceiling for the script with every feature it ships, eventsource-parser included
// (about 1.3 KB of the gzipped script), within 7 KiB (7,168 bytes). Lower it whenever the script
// shrinks, so that growth is a decision rather than an accident. (Raised from 7,000 once: the object
// that carries the source's callbacks, which saves Node servers about 0.4 KB per idle source, costs
// the script about 70 bytes: 6,991 -> 7,061.)
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

const BUDGET_BYTES = 7070
const root = fileURLToPath(new URL('..', import.meta.url))
const file = path.join(root, 'dist', 'eventsource.min.js')

/** The source index of the mappings runs on across lines (the column starts over on each line). */
let sourceIndex = 0

const gzip = (text) => gzipSync(text, { level: 9 }).length
const brotli = (text) => brotliCompressSync(text, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length

let code
try {
  code = readFileSync(file, 'utf8')
} catch {
  console.error('size-budget: dist/eventsource.min.js is missing; run `npm run build` first')
  process.exit(1)
}

const gzipped = gzip(code)
const line = `size-budget: dist/eventsource.min.js is ${code.length} bytes minified, ${gzipped} bytes gzipped (${brotli(code)} with brotli); budget ${BUDGET_BYTES} bytes gzipped`

if (process.argv.includes('--explain')) explain(code, gzipped)

if (gzipped >= BUDGET_BYTES) {
  console.error(`${line}: OVER by ${gzipped - BUDGET_BYTES + 1} bytes`)
  console.error('size-budget: `node scripts/size-budget.mjs --explain` shows what each source file contributes')
  process.exit(1)
}
console.log(`${line}: ${BUDGET_BYTES - gzipped} bytes to spare`)

/**
 * Attributes the minified bytes to the source files through the source map (like
 * source-map-explorer), and estimates each file's share of the gzipped size by gzipping its bytes
 * alone and scaling the shares to the real total.
 */
function explain(text, total) {
  const map = JSON.parse(readFileSync(`${file}.map`, 'utf8'))
  const pieces = new Map()
  const add = (source, fragment) => pieces.set(source, (pieces.get(source) ?? '') + fragment)
  const lines = text.split('\n')
  const mappingLines = map.mappings.split(';')
  for (let lineIndex = 0; lineIndex < lines.length; lineIndex++) {
    const lineText = lines[lineIndex]
    const segments = decodeLine(mappingLines[lineIndex] ?? '')
    if (segments.length === 0) {
      add('(unmapped: banner, wrapper, comments)', `${lineText}\n`)
      continue
    }
    add('(unmapped: banner, wrapper, comments)', lineText.slice(0, segments[0].column))
    for (let i = 0; i < segments.length; i++) {
      const end = i + 1 < segments.length ? segments[i + 1].column : lineText.length
      const source = segments[i].source === undefined ? '(unmapped: banner, wrapper, comments)' : map.sources[segments[i].source]
      add(source.replace(/^(\.\.\/)+/, ''), lineText.slice(segments[i].column, end))
    }
    add('(unmapped: banner, wrapper, comments)', '\n')
  }
  // gzip's own header and trailer (what an empty input costs) are no file's share.
  const overhead = gzip('')
  const rows = [...pieces].map(([source, fragment]) => ({ source, bytes: fragment.length, alone: Math.max(0, gzip(fragment) - overhead) }))
  const aloneSum = rows.reduce((sum, row) => sum + row.alone, 0)
  rows.sort((a, b) => b.bytes - a.bytes)
  console.log('size-budget: contributions (minified bytes; gzip share estimated from each file gzipped alone)')
  for (const row of rows) {
    const share = Math.round((row.alone / aloneSum) * total)
    console.log(`  ${String(row.bytes).padStart(6)} B  ~${String(share).padStart(5)} B gz  ${row.source}`)
  }
}

/** Decodes one line of source-map mappings (base64 VLQ) into segments with absolute columns and sources. */
function decodeLine(mappings) {
  const segments = []
  let column = 0
  for (const segment of mappings.split(',')) {
    if (!segment) continue
    const values = decodeVlq(segment)
    column += values[0]
    if (values.length > 1) sourceIndex += values[1]
    segments.push({ column, source: values.length > 1 ? sourceIndex : undefined })
  }
  return segments
}

function decodeVlq(segment) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  const values = []
  let value = 0
  let shift = 0
  for (const char of segment) {
    const digit = alphabet.indexOf(char)
    value += (digit & 31) << shift
    if (digit & 32) {
      shift += 5
      continue
    }
    values.push(value & 1 ? -(value >>> 1) : value >>> 1)
    value = 0
    shift = 0
  }
  return values
}
