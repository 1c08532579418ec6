// Child process for the reader's memory test: reads entries of a checkpoint and prints the
// process's peak RSS before and after, so the test measures the reader alone and not the
// test runner. Usage: node --import tsx measureRead.ts FILE KEY...
import { readCheckpoint } from '../checkpoint.js'
import { type PickleValue } from '../values.js'

function loadedBytes(value: PickleValue): number {
  if (value instanceof Map) return [...value.values()].reduce((n: number, v) => n + loadedBytes(v), 0)
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + loadedBytes(v), 0)
  if (value !== null && typeof value === 'object' && 'kind' in value && value.kind === 'loaded-tensor') return value.data.byteLength
  return 0
}

const [file, ...keys] = process.argv.slice(2)
const kib = () => process.resourceUsage().maxRSS
const before = kib()
const started = performance.now()
const { entries } = await readCheckpoint(file, keys)
const ms = performance.now() - started
const after = kib()
const tensorBytes = [...entries.values()].reduce((n: number, v) => n + loadedBytes(v), 0)
console.log(JSON.stringify({ beforeKiB: before, afterKiB: after, tensorBytes, ms }))
