// `stylemap`: the engine from the command line. Bad input ends with one stderr line
// `stylemap: E_CODE: message`, an exit code in 1..125 and no output file.
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Crop, EditLayer, ImageInfo, Mask, ProviderPreference } from '../engine/api.js'
import { providerNames } from '../engine/api.js'
import { bench } from '../engine/bench.js'
import { findDefaultModel } from '../engine/defaults.js'
import { Engine } from '../engine/engine.js'
import { EngineError, engineErrorCodes, toEngineError } from '../engine/errors.js'
import { formatFromPath, writeImage } from '../engine/export.js'
import { decodeMask, maskToModel } from '../engine/images.js'
import { all, flag, layersOf, parseCrop, parseInteger, parseNumber, required, single, type Token, tokenize } from './args.js'
import { runConvert } from './convert.js'

const repoRoot = resolve(fileURLToPath(new URL('../../', import.meta.url)))
const modelsRoot = join(repoRoot, 'models')

const help = `stylemap: StyleMapGAN editing from the command line

  stylemap info [--model DIR] [--json]
  stylemap reconstruct [--model DIR] --in IMG [--crop X,Y,SIZE] --out PNG
  stylemap edit [--model DIR] --original IMG [--crop X,Y,SIZE]
                (--reference IMG [--reference-crop X,Y,SIZE] --mask PNG [--strength T] [--offset DX,DY])...
                [--space w|wplus] [--feather PX] [--raw] [--quality Q] [--overwrite-input] --out FILE
  stylemap generate [--model DIR] --seed N [--truncation PSI] --out PNG
  stylemap morph [--model DIR] --a IMG --b IMG [--a-crop X,Y,SIZE] [--b-crop X,Y,SIZE] --t T --out PNG
  stylemap bench [--model DIR]... [--optional-model DIR]... [--runs N] [--json]
  stylemap convert --checkpoint FILE --out DIR [--id ID] [--name NAME] [--license TEXT] [--default] [--force]

Every command also takes --provider auto|${providerNames.join('|')} and --threads N.
Without --model the bundled default model is used. Each --mask is a grayscale image the size of
the original photo (white = take from the reference before it); --offset moves that region on
the original, in photo pixels. With --raw, images and masks are at model resolution and the
output is the generator's output, without paste-back.`

const exitCodes: Record<string, number> = {
  E_BAD_ARGUMENT: 2,
  E_IMAGE_MISSING: 3,
  E_IMAGE_EMPTY: 3,
  E_IMAGE_DECODE: 3,
  E_IMAGE_TOO_LARGE: 3,
  E_IMAGE_SIZE: 3,
  E_CROP_OUT_OF_BOUNDS: 3,
  E_MASK_SIZE: 3,
  E_MODEL_MISSING: 4,
  E_MODEL_MANIFEST: 4,
  E_MODEL_HASH: 4,
  E_MODEL_GRAPH: 4,
  E_MODEL_FEATURE: 4,
  E_PROVIDER_UNAVAILABLE: 5,
  E_INFERENCE: 5,
  E_EXPORT_OVERWRITE: 6,
  E_EXPORT_FORMAT: 6,
  E_EXPORT_WRITE: 6,
  E_PYTHON_MISSING: 7,
}

const common = ['model', 'provider', 'threads']

function parse(argv: string[], options: string[], flags: string[] = []): Token[] {
  return tokenize(argv, new Set([...flags, 'help']), new Set([...common, ...options]))
}

function outPath(tokens: Token[]): string {
  const out = required(tokens, 'out')
  if (!formatFromPath(out)) throw new EngineError(engineErrorCodes.exportFormat, `--out ${out}: use a .png, .jpg, .jpeg or .webp file name`)
  return resolve(out)
}

async function engineFor(tokens: Token[]): Promise<Engine> {
  const provider = (single(tokens, 'provider') ?? 'auto') as ProviderPreference
  if (provider !== 'auto' && !providerNames.includes(provider)) throw new EngineError(engineErrorCodes.badArgument, `--provider must be auto or one of ${providerNames.join(', ')}`)
  const threadsText = single(tokens, 'threads')
  const threads = threadsText === undefined ? undefined : parseInteger(threadsText, '--threads', 1, 256)
  const dir = single(tokens, 'model') ?? (await findDefaultModel(modelsRoot))
  const engine = new Engine()
  await engine.loadModel(dir, { provider, threads })
  return engine
}

function print(line: string): void {
  process.stdout.write(`${line}\n`)
}

async function info(argv: string[]): Promise<void> {
  const tokens = parse(argv, [], ['json'])
  const engine = await engineFor(tokens)
  const loaded = await engine.modelInfo()
  await engine.dispose()
  if (!loaded) throw new EngineError(engineErrorCodes.modelNotLoaded, 'no model loaded')
  if (flag(tokens, 'json')) {
    print(JSON.stringify(loaded, null, 2))
    return
  }
  const { model, providers } = loaded
  print(`model      ${model.id}: ${model.name}`)
  print(`folder     ${model.dir}`)
  print(`resolution ${model.resolution} px, stylemap ${model.stylemap.channels}x${model.stylemap.size}x${model.stylemap.size}, ${model.styles.length} style levels`)
  print(`features   W${model.features.wplus ? ', W+' : ''}${model.features.random ? ', random' : ''}`)
  print(`domain     ${model.domain}`)
  print(`source     ${model.source}`)
  print(`license    ${model.license}`)
  print(`provider   ${providers.inUse} (preference ${providers.preference})`)
  for (const p of providers.probes) print(`  ${p.provider.padEnd(7)} ${p.status}${p.reason ? `: ${p.reason}` : ''}`)
}

async function open(engine: Engine, path: string): Promise<ImageInfo> {
  return engine.openImage({ path: resolve(path) })
}

async function reconstruct(argv: string[]): Promise<void> {
  const tokens = parse(argv, ['in', 'crop', 'out'])
  const input = required(tokens, 'in')
  const out = outPath(tokens)
  const cropText = single(tokens, 'crop')
  const engine = await engineFor(tokens)
  const image = await open(engine, input)
  const sm = await engine.encode({ imageId: image.imageId, crop: cropText ? parseCrop(cropText) : undefined })
  const result = await engine.reconstruct(sm.stylemapId)
  const written = await writeImage(result.image, { path: out, inputPaths: [resolve(input)] })
  await engine.dispose()
  print(`wrote ${written.path} (${written.width}x${written.height})`)
}

/** Moves a mask by (dx, dy) pixels; what leaves the frame is dropped. */
function shiftMask(mask: Mask, dx: number, dy: number): Mask {
  const ox = Math.round(dx)
  const oy = Math.round(dy)
  if (!ox && !oy) return mask
  const out = new Uint8Array(mask.data.length)
  for (let y = 0; y < mask.height; y++) {
    const sy = y - oy
    if (sy < 0 || sy >= mask.height) continue
    for (let x = 0; x < mask.width; x++) {
      const sx = x - ox
      if (sx >= 0 && sx < mask.width) out[y * mask.width + x] = mask.data[sy * mask.width + sx]
    }
  }
  return { width: mask.width, height: mask.height, data: out }
}

function cropMask(mask: Mask, crop: Crop): Mask {
  const data = new Uint8Array(crop.size * crop.size)
  for (let y = 0; y < crop.size; y++) data.set(mask.data.subarray((crop.y + y) * mask.width + crop.x, (crop.y + y) * mask.width + crop.x + crop.size), y * crop.size)
  return { width: crop.size, height: crop.size, data }
}

async function edit(argv: string[]): Promise<void> {
  const tokens = parse(argv, ['original', 'crop', 'reference', 'reference-crop', 'mask', 'strength', 'offset', 'space', 'feather', 'out', 'quality'], ['raw', 'overwrite-input', 'no-color-match'])
  const originalPath = required(tokens, 'original')
  const out = outPath(tokens)
  const layers = layersOf(tokens)
  if (!layers.length) throw new EngineError(engineErrorCodes.badArgument, 'edit needs at least one --reference IMG --mask PNG')
  layers.forEach((l, i) => {
    if (!l.mask) throw new EngineError(engineErrorCodes.badArgument, `reference ${i + 1} (${l.reference}) has no --mask`)
  })
  const space = single(tokens, 'space')
  if (space !== undefined && space !== 'w' && space !== 'wplus') throw new EngineError(engineErrorCodes.badArgument, `--space must be w or wplus, got ${space}`)
  const featherText = single(tokens, 'feather')
  const feather = featherText === undefined ? undefined : parseNumber(featherText, '--feather', 0, 10_000)
  const qualityText = single(tokens, 'quality')
  const quality = qualityText === undefined ? undefined : parseInteger(qualityText, '--quality', 1, 100)
  const raw = flag(tokens, 'raw')
  const cropText = single(tokens, 'crop')
  if (raw && (cropText || layers.some((l) => l.referenceCrop))) throw new EngineError(engineErrorCodes.badArgument, '--raw takes model-resolution images: no --crop or --reference-crop')
  const inputs = [originalPath, ...layers.flatMap((l) => [l.reference, l.mask as string])].map((p) => resolve(p))

  const engine = await engineFor(tokens)
  const R = (await engine.modelInfo())?.model.resolution ?? 0
  const original = await open(engine, originalPath)
  const requireModelSize = (img: { width: number; height: number }, what: string, code: typeof engineErrorCodes.imageSize | typeof engineErrorCodes.maskSize): void => {
    if (img.width !== R || img.height !== R) throw new EngineError(code, `${what} is ${img.width}x${img.height}; with --raw it must be ${R}x${R} (the model resolution)`)
  }
  if (raw) requireModelSize(original, `--original ${originalPath}`, engineErrorCodes.imageSize)
  const crop = raw ? { x: 0, y: 0, size: R } : cropText ? parseCrop(cropText) : undefined
  const a = await engine.encode({ imageId: original.imageId, crop })
  const editLayers: EditLayer[] = []
  const destinations: Mask[] = []
  for (const [i, l] of layers.entries()) {
    const ref = await open(engine, l.reference)
    if (raw) requireModelSize(ref, `--reference ${l.reference}`, engineErrorCodes.imageSize)
    const b = await engine.encode({ imageId: ref.imageId, crop: raw ? { x: 0, y: 0, size: R } : l.referenceCrop })
    const mask = await decodeMask({ path: resolve(l.mask as string) })
    if (raw) requireModelSize(mask, `--mask ${l.mask}`, engineErrorCodes.maskSize)
    else if (mask.width !== original.width || mask.height !== original.height) {
      throw new EngineError(engineErrorCodes.maskSize, `--mask ${l.mask} (reference ${i + 1}) is ${mask.width}x${mask.height}; it must be the size of the original photo, ${original.width}x${original.height}`)
    }
    const scale = R / a.crop.size
    editLayers.push({
      reference: b.stylemapId,
      mask: raw ? mask : await maskToModel(mask, a.crop, R),
      strength: l.strength,
      offset: { dx: l.offset.dx * scale, dy: l.offset.dy * scale },
    })
    if (!raw) destinations.push(cropMask(shiftMask(mask, l.offset.dx, l.offset.dy), a.crop))
  }
  const generated = await engine.edit({ original: a.stylemapId, layers: editLayers, space: space as 'w' | 'wplus' | undefined })
  if (raw) {
    const written = await writeImage(generated.image, { path: out, quality, inputPaths: inputs, overwriteInput: flag(tokens, 'overwrite-input') })
    await engine.dispose()
    print(`wrote ${written.path} (${written.width}x${written.height})`)
    return
  }
  // paste-back covers every place a layer lands on the original
  const union = new Uint8Array(a.crop.size * a.crop.size)
  for (const m of destinations) for (let k = 0; k < union.length; k++) if (m.data[k] > union[k]) union[k] = m.data[k]
  const result = await engine.pasteBack({
    imageId: original.imageId,
    crop: a.crop,
    generated: generated.image,
    mask: { width: a.crop.size, height: a.crop.size, data: union },
    feather,
    colorMatch: !flag(tokens, 'no-color-match'),
  })
  const written = await engine.exportImage({ imageId: result.imageId, path: out, quality, overwriteInput: flag(tokens, 'overwrite-input') })
  await engine.dispose()
  print(`wrote ${written.path} (${written.width}x${written.height})`)
}

async function generate(argv: string[]): Promise<void> {
  const tokens = parse(argv, ['seed', 'truncation', 'out'])
  const seed = parseInteger(required(tokens, 'seed'), '--seed', 0, 0xffffffff)
  const truncText = single(tokens, 'truncation')
  const truncation = truncText === undefined ? undefined : parseNumber(truncText, '--truncation', 0, 2)
  const out = outPath(tokens)
  const engine = await engineFor(tokens)
  const result = await engine.random({ seed, truncation })
  const written = await writeImage(result.image, { path: out })
  await engine.dispose()
  print(`wrote ${written.path} (${written.width}x${written.height})`)
}

async function morph(argv: string[]): Promise<void> {
  const tokens = parse(argv, ['a', 'b', 'a-crop', 'b-crop', 't', 'out'])
  const aPath = required(tokens, 'a')
  const bPath = required(tokens, 'b')
  const t = parseNumber(required(tokens, 't'), '--t', 0, 1)
  const out = outPath(tokens)
  const aCrop = single(tokens, 'a-crop')
  const bCrop = single(tokens, 'b-crop')
  const engine = await engineFor(tokens)
  const a = await engine.encode({ imageId: (await open(engine, aPath)).imageId, crop: aCrop ? parseCrop(aCrop, '--a-crop') : undefined })
  const b = await engine.encode({ imageId: (await open(engine, bPath)).imageId, crop: bCrop ? parseCrop(bCrop, '--b-crop') : undefined })
  const result = await engine.morph({ a: a.stylemapId, b: b.stylemapId, t })
  const written = await writeImage(result.image, { path: out, inputPaths: [resolve(aPath), resolve(bPath)] })
  await engine.dispose()
  print(`wrote ${written.path} (${written.width}x${written.height})`)
}

async function benchCommand(argv: string[]): Promise<void> {
  const tokens = tokenize(argv, new Set(['json', 'help']), new Set(['model', 'optional-model', 'runs', 'provider', 'threads']))
  const extra = all(tokens, 'model').map((d) => resolve(d))
  for (const d of all(tokens, 'optional-model')) if (existsSync(join(d, 'model.json'))) extra.push(resolve(d))
  const dirs: string[] = []
  try {
    dirs.push(await findDefaultModel(modelsRoot))
  } catch (e) {
    // without a bundled default, benchmarking an explicitly named model still makes sense
    if (!extra.length) throw e
    process.stderr.write(`note: ${toEngineError(e).message}\n`)
  }
  dirs.push(...extra.filter((d) => !dirs.includes(d)))
  const runsText = single(tokens, 'runs')
  const threadsText = single(tokens, 'threads')
  const provider = (single(tokens, 'provider') ?? 'auto') as ProviderPreference
  if (provider !== 'auto' && !providerNames.includes(provider)) throw new EngineError(engineErrorCodes.badArgument, `--provider must be auto or one of ${providerNames.join(', ')}`)
  const json = flag(tokens, 'json')
  const report = await bench(dirs, {
    runs: runsText === undefined ? 10 : parseInteger(runsText, '--runs', 10, 1000),
    threads: threadsText === undefined ? undefined : parseInteger(threadsText, '--threads', 1, 256),
    provider,
    log: (line) => process.stderr.write(`${line}\n`),
  })
  if (json) {
    print(JSON.stringify(report, null, 2))
    return
  }
  print(`provider ${report.executionProvider}; ${report.machine.cpu}, ${report.machine.cores} cores`)
  for (const r of report.results) {
    print(`${r.model} (${r.resolution} px): encode ${r.encode_ms} ms, decode ${r.decode_ms} ms, edit ${r.edit_ms} ms (${r.space}), reference pipeline ${r.reference_pipeline_ms} ms (${(r.reference_pipeline_ms / r.edit_ms).toFixed(1)}x), peak RSS ${r.peak_rss_mb} MB`)
  }
}

const commands: Record<string, (argv: string[]) => Promise<void>> = {
  info,
  reconstruct,
  edit,
  generate,
  morph,
  bench: benchCommand,
}

function fail(error: unknown): never {
  const e = toEngineError(error)
  const message = e.message.replace(/\s*\n\s*/g, ' ')
  process.stderr.write(`stylemap: ${e.code}: ${message}\n`)
  process.exit(exitCodes[e.code] ?? (e.code === engineErrorCodes.internal ? 70 : 1))
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    print(help)
    return
  }
  if (rest.includes('--help')) {
    print(help)
    return
  }
  if (command === 'convert') {
    process.exitCode = await runConvert(rest, modelsRoot)
    return
  }
  const run = commands[command]
  if (!run) throw new EngineError(engineErrorCodes.badArgument, `unknown command ${command} (try --help)`)
  await run(rest)
}

process.on('uncaughtException', fail)
process.on('unhandledRejection', fail)
await main(process.argv.slice(2)).catch(fail)
