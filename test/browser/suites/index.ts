/**
 * The suites that run in every engine, in this order (../engines.test.ts). Add a new one here.
 */
import type { Suite } from './context'
import { coreSuite } from './core'
import { credentialsSuite } from './credentials'
import { extensionSuite } from './extensions'
import { iterationSuite } from './iteration'
import { networkAwareSuite } from './network-aware'
import { polyfillSuite } from './polyfill'
import { sharedEventSourceSuite } from './shared-event-source'
import { workerSuite } from './workers'

export const suites: Suite[] = [
  coreSuite,
  extensionSuite,
  iterationSuite,
  networkAwareSuite,
  polyfillSuite,
  credentialsSuite,
  workerSuite,
  sharedEventSourceSuite,
]

export type { Suite, SuiteContext } from './context'
