/**
 * The engines the browser suites run in, in the order they run: one at a time, never side by side
 * (a CI machine has two cores).
 */
import type { EngineName, RunningEngine } from './engine'

export interface EngineEntry {
  name: EngineName
  /** The engine's name in test titles. */
  label: string
  launch(): Promise<RunningEngine>
}

export const engines: EngineEntry[] = [
  { name: 'chromium', label: 'Chromium', launch: async () => (await import('./chromium')).launch() },
  { name: 'firefox', label: 'Firefox', launch: async () => (await import('./firefox')).launch() },
  { name: 'webkit', label: 'WebKit', launch: async () => (await import('./webkit')).launch() },
]

export type { EngineName, EnginePage, RunningEngine } from './engine'
