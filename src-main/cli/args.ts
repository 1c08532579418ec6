// Command-line parsing for `stylemap`: options in order, so that --mask/--strength/--offset
// belong to the --reference before them.
import type { Crop } from '../engine/api.js'
import { EngineError, engineErrorCodes } from '../engine/errors.js'

export interface Token {
  name: string
  value: string | true
}

function usage(message: string): EngineError {
  return new EngineError(engineErrorCodes.badArgument, message)
}

/** Splits argv into `--name value` / `--name=value` / `--flag` tokens; `flags` take no value. */
export function tokenize(argv: string[], flags: ReadonlySet<string>, known: ReadonlySet<string>): Token[] {
  const tokens: Token[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (!arg.startsWith('--') || arg === '--') throw usage(`unexpected argument ${JSON.stringify(arg)}`)
    const eq = arg.indexOf('=')
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2)
    if (!known.has(name) && !flags.has(name)) throw usage(`unknown option --${name}`)
    if (flags.has(name)) {
      if (eq >= 0) throw usage(`--${name} takes no value`)
      tokens.push({ name, value: true })
      continue
    }
    let value: string
    if (eq >= 0) value = arg.slice(eq + 1)
    else {
      if (i + 1 >= argv.length) throw usage(`--${name} needs a value`)
      value = argv[++i]
    }
    tokens.push({ name, value })
  }
  return tokens
}

/** The value of a single-use option, checking it is not repeated. */
export function single(tokens: Token[], name: string): string | undefined {
  const found = tokens.filter((t) => t.name === name)
  if (found.length > 1) throw usage(`--${name} is given more than once`)
  const v = found[0]?.value
  return typeof v === 'string' ? v : undefined
}

/** Every value of a repeatable option, in order. */
export function all(tokens: Token[], name: string): string[] {
  return tokens.filter((t) => t.name === name).map((t) => String(t.value))
}

export function flag(tokens: Token[], name: string): boolean {
  return tokens.some((t) => t.name === name)
}

export function required(tokens: Token[], name: string): string {
  const v = single(tokens, name)
  if (v === undefined || v === '') throw usage(`--${name} is required`)
  return v
}

export function parseNumber(text: string, what: string, min = -Infinity, max = Infinity): number {
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n)) throw usage(`${what} must be a number, got ${JSON.stringify(text)}`)
  if (n < min || n > max) throw usage(`${what} must be within ${min}..${max}, got ${n}`)
  return n
}

export function parseInteger(text: string, what: string, min = -Infinity, max = Infinity): number {
  const n = parseNumber(text, what, min, max)
  if (!Number.isInteger(n)) throw usage(`${what} must be a whole number, got ${text}`)
  return n
}

export function parseCrop(text: string, what = '--crop'): Crop {
  const parts = text.split(',')
  if (parts.length !== 3) throw usage(`${what} must be X,Y,SIZE, got ${JSON.stringify(text)}`)
  const [x, y, size] = parts.map((p, i) => parseInteger(p, `${what} ${['X', 'Y', 'SIZE'][i]}`))
  return { x, y, size }
}

export function parseOffset(text: string): { dx: number; dy: number } {
  const parts = text.split(',')
  if (parts.length !== 2) throw usage(`--offset must be DX,DY, got ${JSON.stringify(text)}`)
  const [dx, dy] = parts.map((p, i) => parseNumber(p, `--offset ${i ? 'DY' : 'DX'}`))
  return { dx, dy }
}

export interface LayerArgs {
  reference: string
  referenceCrop?: Crop
  mask?: string
  strength: number
  offset: { dx: number; dy: number }
}

/** Groups --reference and the options after it into layers. */
export function layersOf(tokens: Token[]): LayerArgs[] {
  const layers: LayerArgs[] = []
  const perLayer = new Set(['reference-crop', 'mask', 'strength', 'offset'])
  const seen = new Set<string>()
  for (const t of tokens) {
    if (t.name === 'reference') {
      layers.push({ reference: String(t.value), strength: 1, offset: { dx: 0, dy: 0 } })
      seen.clear()
      continue
    }
    if (!perLayer.has(t.name)) continue
    const layer = layers.at(-1)
    if (!layer) throw usage(`--${t.name} must follow the --reference it belongs to`)
    if (seen.has(t.name)) throw usage(`--${t.name} is given twice for reference ${layers.length}`)
    seen.add(t.name)
    const v = String(t.value)
    if (t.name === 'reference-crop') layer.referenceCrop = parseCrop(v, '--reference-crop')
    else if (t.name === 'mask') layer.mask = v
    else if (t.name === 'strength') layer.strength = parseNumber(v, '--strength', 0, 1)
    else layer.offset = parseOffset(v)
  }
  return layers
}
