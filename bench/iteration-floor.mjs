// `node bench/iteration-floor.mjs`: what a `for await` loop costs per item by itself, beside a plain
// callback, with no EventSource involved. Each item is already waiting when the loop asks for it
// (the best case for iteration: no waiting on I/O), in bursts of 800 (about one 64 KiB read of
// small events). The difference is the floor any async iterator pays over a listener: the
// language's for-await awaits a promise for every item (ECMA-262 ForIn/OfBodyEvaluation, Await).
const BURST = 800
const BURSTS = 2_000
const ROUNDS = 7

/** A minimal async iterator over a queue (what EventIterator does, without flow control). */
function queueIterator() {
  const queue = []
  return {
    push: (item) => queue.push(item),
    next: () => Promise.resolve(queue.length ? { value: queue.shift(), done: false } : { value: undefined, done: true }),
    [Symbol.asyncIterator]() {
      return this
    },
  }
}

async function iterate() {
  const item = { data: 'x' }
  let n = 0
  const started = process.hrtime.bigint()
  for (let b = 0; b < BURSTS; b++) {
    const it = queueIterator()
    for (let i = 0; i < BURST; i++) it.push(item)
    for await (const value of it) n += value.data.length
  }
  return perItem(started, n)
}

async function callback() {
  const item = { data: 'x' }
  let n = 0
  const listener = (value) => {
    n += value.data.length
  }
  const started = process.hrtime.bigint()
  for (let b = 0; b < BURSTS; b++) {
    for (let i = 0; i < BURST; i++) listener(item)
    await null // one turn per burst, as a read of the body is
  }
  return perItem(started, n)
}

/** Nanoseconds per item since `started`; every item must have been seen (and the work is used). */
function perItem(started, seen) {
  if (seen !== BURST * BURSTS) throw new Error(`saw ${seen} items`)
  return Number(process.hrtime.bigint() - started) / seen
}

const median = (values) => values.sort((a, b) => a - b)[values.length >> 1]
const iterated = []
const called = []
for (let round = 0; round < ROUNDS; round++) {
  iterated.push(await iterate())
  called.push(await callback())
}
console.log(`for await:  ${median(iterated).toFixed(1)} ns per item (median of ${ROUNDS} rounds)`)
console.log(`callback:   ${median(called).toFixed(1)} ns per item`)
console.log(`difference: ${(median(iterated) - median(called)).toFixed(1)} ns per item, the floor an async iterator adds`)
