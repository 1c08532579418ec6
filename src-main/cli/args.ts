// Command-line parsing for `stylemap`, on node:util's parseArgs. Its tokens keep the order of
// the options, so --reference-crop/--mask/--strength/--offset belong to the --reference
// before them.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import type { Crop } from '../engine/api.js'
import { EngineError, engineErrorCodes } from '../engine/errors.js'

function usage(message: string): EngineError {
  return new EngineError(engineErrorCodes.badArgument, message)
}

type Options = NonNullable<ParseArgsConfig['options']>

/** What one command was given: values by option name, in the order they came. */
export class Args {
  constructor(private readonly given: { name: string; value: string | undefined }[]) {}

  /** The value of an option given at most once. */
  single(name: string): string | undefined {
    const found = this.given.filter((t) => t.name === name)
    if (found.length > 1) throw usage(`--${name} is given more than once`)
    return found[0]?.value
  }

  required(name: string): string {
    const v = this.single(name)
    if (v === undefined || v === '') throw usage(`--${name} is required`)
    return v
  }

  /** Every value of a repeatable option, in order. */
  all(name: string): string[] {
    return this.given.filter((t) => t.name === name).map((t) => t.value ?? '')
  }

  flag(name: string): boolean {
    return this.given.some((t) => t.name === name)
  }

  /** The options in the order given. */
  get tokens(): readonly { name: string; value: string | undefined }[] {
    return this.given
  }
}

/**
 * Parses `argv` against `strings` (options that take a value) and `flags` (that take none).
 * A value may start with a minus (`--offset -12,4`): parseArgs would read that as an option,
 * so such a value is joined to its option first.
 */
export function parseCommand(argv: string[], strings: readonly string[], flags: readonly string[] = []): Args {
  const options: Options = {}
  for (const name of strings) options[name] = { type: 'string', multiple: true }
  for (const name of [...flags, 'help']) options[name] = { type: 'boolean', multiple: true }
  const joined: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const next = argv[i + 1]
    if (arg.startsWith('--') && !arg.includes('=') && strings.includes(arg.slice(2)) && next !== undefined && /^-[\d.]/.test(next)) {
      joined.push(`${arg}=${next}`)
      i++
    } else joined.push(arg)
  }
  let tokens
  try {
    tokens = parseArgs({ args: joined, options, strict: true, allowPositionals: false, tokens: true }).tokens
  } catch (error) {
    const e = error as NodeJS.ErrnoException
    const option = /'(-[^' ]+)/.exec(e.message)?.[1]
    switch (e.code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw usage(`unknown option ${option ?? ''}`.trim())
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
        throw usage(`unexpected argument ${JSON.stringify(/'([^']*)'/.exec(e.message)?.[1] ?? '')}`)
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
        throw usage(option && flags.includes(option.replace(/^--/, '')) ? `${option} takes no value` : `${option ?? 'an option'} needs a value`)
      default:
        throw usage(e.message.split('\n')[0])
    }
  }
  const given: { name: string; value: string | undefined }[] = []
  for (const token of tokens) if (token.kind === 'option') given.push({ name: token.name, value: token.value })
  return new Args(given)
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

/** X,Y,SIZE (an axis-aligned square inside the photo) or X,Y,SIZE,ANGLE (a frame turned ANGLE degrees clockwise about its centre). */
export function parseCrop(text: string, what = '--crop'): Crop {
  const parts = text.split(',')
  if (parts.length !== 3 && parts.length !== 4) throw usage(`${what} must be X,Y,SIZE or X,Y,SIZE,ANGLE, got ${JSON.stringify(text)}`)
  const [x, y, size] = parts.slice(0, 3).map((p, i) => parseInteger(p, `${what} ${['X', 'Y', 'SIZE'][i]}`))
  if (parts.length === 3) return { x, y, size }
  return { x, y, size, angle: parseNumber(parts[3], `${what} ANGLE`, -180, 180) }
}

/** A face index as `stylemap faces` lists them: 0 is the largest. */
export function parseFace(text: string, what = '--face'): number {
  return parseInteger(text, what, 0, 1000)
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
  referenceFace?: number
  mask?: string
  strength: number
  offset: { dx: number; dy: number }
}

const perLayer = new Set(['reference-crop', 'reference-face', 'mask', 'strength', 'offset'])

/** Groups --reference and the per-layer options after it into layers. */
export function layersOf(args: Args): LayerArgs[] {
  const layers: LayerArgs[] = []
  const seen = new Set<string>()
  for (const { name, value = '' } of args.tokens) {
    if (name === 'reference') {
      layers.push({ reference: value, strength: 1, offset: { dx: 0, dy: 0 } })
      seen.clear()
      continue
    }
    if (!perLayer.has(name)) continue
    const layer = layers.at(-1)
    if (!layer) throw usage(`--${name} must follow the --reference it belongs to`)
    if (seen.has(name)) throw usage(`--${name} is given twice for reference ${layers.length}`)
    seen.add(name)
    if ((name === 'reference-crop' && seen.has('reference-face')) || (name === 'reference-face' && seen.has('reference-crop'))) {
      throw usage(`reference ${layers.length}: give --reference-crop or --reference-face, not both`)
    }
    if (name === 'reference-crop') layer.referenceCrop = parseCrop(value, '--reference-crop')
    else if (name === 'reference-face') layer.referenceFace = parseFace(value, '--reference-face')
    else if (name === 'mask') layer.mask = value
    else if (name === 'strength') layer.strength = parseNumber(value, '--strength', 0, 1)
    else layer.offset = parseOffset(value)
  }
  return layers
}
