// Removes build output before a build, so a file no longer produced cannot linger into a package.
import { rmSync } from 'node:fs'

for (const dir of process.argv.slice(2)) rmSync(dir, { recursive: true, force: true })
