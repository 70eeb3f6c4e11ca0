/**
 * The request body of `-d`: read once, before connecting, and sent again on every reconnection.
 */
import { readFile } from 'node:fs/promises'
import { UsageError } from './args'

/**
 * `-d text` sends the text (as UTF-8), `-d @file` the file's bytes, `-d @-` everything on standard
 * input. The body is always a `Blob` without a type, so fetch adds no `Content-Type` of its own
 * (as it would for a string): set one with `-H`.
 * @throws UsageError when the file cannot be read.
 */
export async function readBody(data: string | undefined, stdin: AsyncIterable<Buffer | string>): Promise<Blob | undefined> {
  if (data === undefined) return undefined
  if (!data.startsWith('@')) return new Blob([data])
  if (data === '@-') return readAll(stdin)
  const file = data.slice(1)
  try {
    return new Blob([await readFile(file)])
  } catch (error) {
    throw new UsageError(`--data ${data}: cannot read ${JSON.stringify(file)}: ${(error as Error).message}`)
  }
}

async function readAll(stream: AsyncIterable<Buffer | string>): Promise<Blob> {
  const chunks: BlobPart[] = []
  // Blob's type takes views on a plain ArrayBuffer only (a Buffer's may be shared), hence the copy.
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? chunk : new Uint8Array(chunk))
  return new Blob(chunks)
}
