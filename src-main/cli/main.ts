// `stylemap`: the engine from the command line. Every editing command hands the engine one
// whole edit (`Engine.render`), the same call the app's preview and export make. Bad input
// ends with one stderr line `stylemap: E_CODE: message`, an exit code in 1..125 and no output file.
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { editFromProject } from '../../src-shared/edit.js'
import { parseProject, remapImageIds } from '../app/projectFile.js'
import type { Crop, Edit, EditLayer, ProviderPreference } from '../engine/api.js'
import { providerNames } from '../engine/api.js'
import { bench } from '../engine/bench.js'
import { findDefaultModel } from '../engine/defaults.js'
import { Engine } from '../engine/engine.js'
import { EngineError, engineErrorCodes, toEngineError } from '../engine/errors.js'
import { formatFromPath, writeImage } from '../engine/export.js'
import { cropToModel, decodeImage, decodeMask } from '../engine/images.js'
import { type Args, layersOf, parseCommand, parseCrop, parseFace, parseInteger, parseNumber } from './args.js'
import { folderVersion } from '../torch/upgradeFolder.js'
import { runConvert, runUpgrade } from './convert.js'
import { downloadExitCodes, downloadHelp, runDownload } from './download.js'
import { readProjectFile, refuseOverwritingContent, refuseOverwritingInputs } from './inputs.js'

const repoRoot = resolve(fileURLToPath(new URL('../../', import.meta.url)))
const modelsRoot = join(repoRoot, 'models')

const help = `stylemap: StyleMapGAN editing from the command line

  stylemap info [--model DIR] [--json]
  stylemap faces [--model DIR] --in IMG [--json]
  stylemap align [--model DIR] --in IMG [--face N] --out PNG
  stylemap reconstruct [--model DIR] --in IMG [--crop FRAME | --face N] --out PNG
  stylemap edit [--model DIR] --original IMG [--crop FRAME | --face N]
                (--reference IMG [--reference-crop FRAME | --reference-face N] --mask PNG [--strength T] [--offset DX,DY])...
                [--space w|wplus] [--feather PX] [--detail photo|none] [--no-color-match] [--raw] [--quality Q] [--overwrite-input] --out FILE
  stylemap render --project FILE.smproj [--face N] [--reference-face N] [--quality Q] [--overwrite-input] --out FILE
  stylemap generate [--model DIR] --seed N [--truncation PSI] --out PNG
  stylemap morph [--model DIR] --a IMG --b IMG [--a-crop FRAME | --a-face N] [--b-crop FRAME | --b-face N] --t T --out PNG
  stylemap bench [--model DIR]... [--optional-model DIR]... [--runs N] [--json]
  stylemap convert --checkpoint FILE --out DIR [--id ID] [--name NAME] [--license TEXT] [--domain D] [--source TEXT]
                   [--alignment auto|ffhq|none] [--default] [--force] [--via typescript|python [--tolerance T]]
  stylemap upgrade --model DIR [--check]
${downloadHelp}

Every command also takes --provider auto|${providerNames.join('|')} and --threads N.
Without --model the bundled default model is used (render uses it too).
No command writes its --out over one of its inputs (photo, reference, mask, project file, or
for render a file holding one of the project's photos); --overwrite-input lets edit write over
its --original photo, and render over a photo of its project.

Framing (the same as in the app): FRAME is X,Y,SIZE, a square inside the photo with its
top-left corner at X,Y, or X,Y,SIZE,ANGLE, the same square turned ANGLE degrees clockwise
about its centre; a turned frame may reach past the photo's edges (mirrored there). Without
one the largest centred square is used. --face N frames the photo's face N the way the model
wants faces framed (its alignment): faces are numbered from 0, largest first, as
\`stylemap faces\` lists them. faces prints each face's box, score and five landmarks (left
eye, right eye, nose tip, left and right mouth corner; left = the photo's left) in photo
pixels, and the frame that aligns it; align writes that frame at model resolution, the
model's view of the face. A photo where no face is found ends with E_NO_FACE.
For render, --face N reframes the project's photo and --reference-face N every reference.

Masks and offsets (the same meaning as in the app):
  Each --mask is a grayscale image the size of the original photo; white marks where the
  photo changes to that reference. Nothing outside the masks (and their --feather) changes.
  --offset DX,DY, in original-photo pixels, says where on the reference the masked content is
  taken from: the reference's content moves by (DX, DY), so a masked pixel at (x, y) shows the
  reference at (x - DX, y - DY), both measured inside their crop frames. Positive DX takes
  content from the left of the masked region, negative DX from its right; likewise DY.
  --detail photo (the default) adds the fine detail the model cannot draw at the crop's size:
  from the reference where it shows, from the photo elsewhere; --detail none pastes the
  generator's output upsampled.
  With --raw, images and masks are at model resolution and the output is the generator's
  output, without paste-back.

render writes a saved project (.smproj) exactly as the app's File > Export does: the same
bytes for the same output format and quality.

convert turns a StyleMapGAN checkpoint (g_ema, e_ema, train_args) into a model folder. By
default it needs no Python: the graphs come from models/templates (the released 256 px
architecture, 128 px and the test architectures) and the weights are read from the
checkpoint; another architecture ends with E_CONVERT_ARCHITECTURE. --via python uses the
Python converter (PyTorch and ONNX needed), which exports any architecture and checks the
graphs against PyTorch (--tolerance).

upgrade brings a model folder that an earlier version imported (convert, download, the app)
to today's graphs, which edit faster, without its checkpoint: the weights move into today's
layout, and the new folder must load and compute what the old one did before it replaces it
(a failure leaves the folder as it was). --check only prints where the folder stands: current,
upgradable, early (imported on 2026-12-02: convert its checkpoint again) or unknown.

download fetches a released checkpoint (--dataset) or any checkpoint link (--url) to DIR.pt
beside --out (DIR.pt.part while it arrives: run the same command again to continue a download
that broke off), imports it into the model folder --out and removes DIR.pt unless
--keep-checkpoint; when the import fails DIR.pt stays, and the next run imports it without
downloading it again. A link that gives a web page instead of the file (Google Drive does this for
large files) ends with E_DOWNLOAD_NOT_CHECKPOINT: download it in a browser, then use convert.`

const exitCodes: Record<string, number> = {
  E_BAD_ARGUMENT: 2,
  E_IMAGE_MISSING: 3,
  E_IMAGE_NOT_FILE: 3,
  E_IMAGE_EMPTY: 3,
  E_IMAGE_DECODE: 3,
  E_IMAGE_TOO_LARGE: 3,
  E_IMAGE_SIZE: 3,
  E_CROP_OUT_OF_BOUNDS: 3,
  E_MASK_SIZE: 3,
  E_NO_FACE: 8,
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
  E_PROJECT_IO: 3,
  E_PROJECT_CORRUPT: 3,
  E_PROJECT_VERSION: 3,
  E_PROJECT_TOO_LARGE: 3,
  E_PYTHON_MISSING: 7,
  E_UPGRADE_UNKNOWN: 11,
  E_UPGRADE_EARLY: 11,
  E_UPGRADE_DAMAGED: 11,
  E_UPGRADE_VERIFY: 11,
  E_UPGRADE_WRITE: 11,
  ...downloadExitCodes,
}

const common = ['model', 'provider', 'threads']

function parse(argv: string[], options: string[], flags: string[] = []): Args {
  return parseCommand(argv, [...common, ...options], flags)
}

function outPath(args: Args): string {
  const out = args.required('out')
  if (!formatFromPath(out)) throw new EngineError(engineErrorCodes.exportFormat, `--out ${out}: use a .png, .jpg, .jpeg or .webp file name`)
  return resolve(out)
}

function optionalInteger(args: Args, name: string, min: number, max: number): number | undefined {
  const text = args.single(name)
  return text === undefined ? undefined : parseInteger(text, `--${name}`, min, max)
}

async function engineFor(args: Args): Promise<Engine> {
  const provider = (args.single('provider') ?? 'auto') as ProviderPreference
  if (provider !== 'auto' && !providerNames.includes(provider)) throw new EngineError(engineErrorCodes.badArgument, `--provider must be auto or one of ${providerNames.join(', ')}`)
  const threads = optionalInteger(args, 'threads', 1, 256)
  const dir = args.single('model') ?? (await findDefaultModel(modelsRoot))
  const engine = new Engine()
  await engine.loadModel(dir, { provider, threads })
  return engine
}

function print(line: string): void {
  process.stdout.write(`${line}\n`)
}

function wrote(file: { path: string; width: number; height: number }): void {
  print(`wrote ${file.path} (${file.width}x${file.height})`)
}

async function info(argv: string[]): Promise<void> {
  const args = parse(argv, [], ['json'])
  const engine = await engineFor(args)
  const loaded = await engine.modelInfo()
  await engine.dispose()
  if (!loaded) throw new EngineError(engineErrorCodes.modelNotLoaded, 'no model loaded')
  if (args.flag('json')) {
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

async function openPath(engine: Engine, path: string) {
  return engine.openImage({ path: resolve(path) })
}

/**
 * The frame of face `index` of an open image, aligned for the loaded model: E_NO_FACE when the
 * image shows none, E_BAD_ARGUMENT past the last face.
 */
async function faceFrame(engine: Engine, imageId: string, path: string, index: number, option: string, byHand: string): Promise<Crop> {
  const { faces } = await engine.detectFaces(imageId)
  if (!faces.length) throw new EngineError(engineErrorCodes.noFace, `no face found in ${path}; frame it by hand with ${byHand}`)
  if (index >= faces.length) {
    throw new EngineError(engineErrorCodes.badArgument, `${option} ${index}: ${path} shows ${faces.length === 1 ? 'one face (0)' : `${faces.length} faces (0..${faces.length - 1}, largest first)`}`)
  }
  const crop = faces[index].crop
  if (!crop) {
    const model = (await engine.modelInfo())?.model
    throw new EngineError(engineErrorCodes.modelFeature, `model ${model?.id ?? '(none)'} does not say how it frames faces (no alignment in its model.json); frame by hand with ${byHand}`)
  }
  return crop
}

/** The crop `--<crop>` or `--<face>` asks for (not both); undefined for the default square. */
async function cropOption(engine: Engine, args: Args, imageId: string, path: string, names: { crop: string; face: string }): Promise<Crop | undefined> {
  const cropText = args.single(names.crop)
  const faceText = args.single(names.face)
  if (cropText !== undefined && faceText !== undefined) throw new EngineError(engineErrorCodes.badArgument, `give --${names.crop} or --${names.face}, not both`)
  if (faceText !== undefined) return faceFrame(engine, imageId, path, parseFace(faceText, `--${names.face}`), `--${names.face}`, `--${names.crop}`)
  return cropText === undefined ? undefined : parseCrop(cropText, `--${names.crop}`)
}

const round1 = (v: number): number => Math.round(v * 10) / 10

async function faces(argv: string[]): Promise<void> {
  const args = parse(argv, ['in'], ['json'])
  const input = args.required('in')
  const engine = await engineFor(args)
  const image = await openPath(engine, input)
  const found = await engine.detectFaces(image.imageId)
  await engine.dispose()
  if (!found.faces.length) throw new EngineError(engineErrorCodes.noFace, `no face found in ${input}`)
  if (args.flag('json')) {
    const listed = found.faces.map((f) => ({ box: f.box.map(round1), score: Math.round(f.score * 1000) / 1000, landmarks: f.landmarks.map((p) => p.map(round1)) }))
    print(JSON.stringify({ faces: listed }))
    return
  }
  for (const [i, f] of found.faces.entries()) {
    const [x, y, w, h] = f.box.map(Math.round)
    const points = f.landmarks.map((p) => p.map(Math.round).join(',')).join(' ')
    const frame = f.crop ? `  frame ${[f.crop.x, f.crop.y, f.crop.size, f.crop.angle ?? 0].join(',')}` : ''
    print(`face ${i}: box ${x},${y},${w},${h}  score ${f.score.toFixed(2)}  eyes/nose/mouth ${points}${frame}`)
  }
}

async function align(argv: string[]): Promise<void> {
  const args = parse(argv, ['in', 'face', 'out'])
  const input = args.required('in')
  const out = outPath(args)
  await refuseOverwritingInputs(out, [{ option: '--in', path: input }])
  const index = parseFace(args.single('face') ?? '0')
  const engine = await engineFor(args)
  const image = await openPath(engine, input)
  const crop = await faceFrame(engine, image.imageId, input, index, '--face', '--crop with reconstruct or edit')
  const resolution = (await engine.modelInfo())?.model.resolution ?? 0
  await engine.dispose()
  // what the model is given: the photo under the frame at the model's resolution
  const decoded = await decodeImage({ path: resolve(input) })
  const written = await writeImage(await cropToModel(decoded.pixels, crop, resolution), { path: out, inputPaths: [resolve(input)] })
  wrote(written)
}

async function reconstruct(argv: string[]): Promise<void> {
  const args = parse(argv, ['in', 'crop', 'face', 'out'])
  const input = args.required('in')
  const out = outPath(args)
  await refuseOverwritingInputs(out, [{ option: '--in', path: input }])
  const engine = await engineFor(args)
  const image = await openPath(engine, input)
  const crop = await cropOption(engine, args, image.imageId, input, { crop: 'crop', face: 'face' })
  // an edit without layers: the original's reconstruction
  const { generated } = await engine.render({ edit: { original: { imageId: image.imageId, crop }, layers: [] }, output: { kind: 'generated' } })
  const written = await writeImage(generated, { path: out, inputPaths: [resolve(input)] })
  await engine.dispose()
  wrote(written)
}

async function edit(argv: string[]): Promise<void> {
  const args = parse(argv, ['original', 'crop', 'face', 'reference', 'reference-crop', 'reference-face', 'mask', 'strength', 'offset', 'space', 'feather', 'detail', 'out', 'quality'], ['raw', 'overwrite-input', 'no-color-match'])
  const originalPath = args.required('original')
  const out = outPath(args)
  const layers = layersOf(args)
  if (!layers.length) throw new EngineError(engineErrorCodes.badArgument, 'edit needs at least one --reference IMG --mask PNG')
  layers.forEach((l, i) => {
    if (!l.mask) throw new EngineError(engineErrorCodes.badArgument, `reference ${i + 1} (${l.reference}) has no --mask`)
  })
  const space = args.single('space')
  if (space !== undefined && space !== 'w' && space !== 'wplus') throw new EngineError(engineErrorCodes.badArgument, `--space must be w or wplus, got ${space}`)
  const detail = args.single('detail') ?? 'photo'
  if (detail !== 'photo' && detail !== 'none') throw new EngineError(engineErrorCodes.badArgument, `--detail must be photo or none, got ${detail}`)
  const featherText = args.single('feather')
  const feather = featherText === undefined ? undefined : parseNumber(featherText, '--feather', 0, 10_000)
  const quality = optionalInteger(args, 'quality', 1, 100)
  const raw = args.flag('raw')
  if (raw && (args.single('crop') || args.single('face') || layers.some((l) => l.referenceCrop || l.referenceFace !== undefined))) {
    throw new EngineError(engineErrorCodes.badArgument, '--raw takes model-resolution images: no --crop, --face, --reference-crop or --reference-face')
  }
  const inputs = [originalPath, ...layers.flatMap((l) => [l.reference, l.mask as string])].map((p) => resolve(p))
  // masks are not images the engine holds, so its own check would not see them
  await refuseOverwritingInputs(out, [
    ...(args.flag('overwrite-input') ? [] : [{ option: '--original', path: originalPath }]),
    ...layers.flatMap((l) => [
      { option: '--reference', path: l.reference },
      { option: '--mask', path: l.mask as string },
    ]),
  ])

  const engine = await engineFor(args)
  const R = (await engine.modelInfo())?.model.resolution ?? 0
  const requireModelSize = (img: { width: number; height: number }, what: string, code: typeof engineErrorCodes.imageSize | typeof engineErrorCodes.maskSize): void => {
    if (img.width !== R || img.height !== R) throw new EngineError(code, `${what} is ${img.width}x${img.height}; with --raw it must be ${R}x${R} (the model resolution)`)
  }
  const original = await openPath(engine, originalPath)
  if (raw) requireModelSize(original, `--original ${originalPath}`, engineErrorCodes.imageSize)
  const originalCrop = await cropOption(engine, args, original.imageId, originalPath, { crop: 'crop', face: 'face' })
  const editLayers: EditLayer[] = []
  for (const [i, l] of layers.entries()) {
    const reference = await openPath(engine, l.reference)
    if (raw) requireModelSize(reference, `--reference ${l.reference}`, engineErrorCodes.imageSize)
    const mask = await decodeMask({ path: resolve(l.mask as string) })
    if (mask.width !== original.width || mask.height !== original.height) {
      throw new EngineError(engineErrorCodes.maskSize, `--mask ${l.mask} (reference ${i + 1}) is ${mask.width}x${mask.height}; it must be the size of the original photo, ${original.width}x${original.height}`)
    }
    const referenceCrop = l.referenceFace === undefined ? l.referenceCrop : await faceFrame(engine, reference.imageId, l.reference, l.referenceFace, '--reference-face', '--reference-crop')
    editLayers.push({ reference: { imageId: reference.imageId, crop: referenceCrop }, mask, strength: l.strength, offset: l.offset })
  }
  const request: Edit = {
    original: { imageId: original.imageId, crop: originalCrop },
    layers: editLayers,
    space: space as Edit['space'],
    feather,
    detail: detail === 'photo',
    colorMatch: !args.flag('no-color-match'),
  }
  if (raw) {
    const { generated } = await engine.render({ edit: request, output: { kind: 'generated' } })
    const written = await writeImage(generated, { path: out, quality, inputPaths: inputs, overwriteInput: args.flag('overwrite-input') })
    await engine.dispose()
    wrote(written)
    return
  }
  const { file } = await engine.render({ edit: request, output: { kind: 'file', path: out, quality, overwriteInput: args.flag('overwrite-input') } })
  await engine.dispose()
  wrote(file)
}

async function render(argv: string[]): Promise<void> {
  const args = parse(argv, ['project', 'face', 'reference-face', 'out', 'quality'], ['overwrite-input'])
  const projectPath = resolve(args.required('project'))
  const out = outPath(args)
  const quality = optionalInteger(args, 'quality', 1, 100)
  await refuseOverwritingInputs(out, [{ option: '--project', path: projectPath }])
  const parsed = await parseProject(await readProjectFile(projectPath))
  if (!args.flag('overwrite-input')) await refuseOverwritingContent(out, [...parsed.images.values()].map((image) => ({ what: `image ${image.name}`, bytes: image.bytes })))
  const engine = await engineFor(args)
  const idOf = new Map<string, string>()
  for (const [key, image] of parsed.images) idOf.set(key, (await engine.openImage({ bytes: image.bytes, name: image.name })).imageId)
  const document = remapImageIds(parsed.document, (key) => idOf.get(key) ?? key)
  const nameOf = (imageId: string): string => [...parsed.images.entries()].find(([key]) => idOf.get(key) === imageId)?.[1].name ?? imageId
  const face = args.single('face')
  if (face !== undefined) document.original.crop = await faceFrame(engine, document.original.imageId, nameOf(document.original.imageId), parseFace(face), '--face', 'the editor')
  const referenceFace = args.single('reference-face')
  if (referenceFace !== undefined) {
    for (const reference of document.references) reference.crop = await faceFrame(engine, reference.imageId, nameOf(reference.imageId), parseFace(referenceFace, '--reference-face'), '--reference-face', 'the editor')
  }
  const wplusAvailable = (await engine.modelInfo())?.model.features.wplus ?? false
  const { file } = await engine.render({
    edit: editFromProject(document, { wplusAvailable }),
    output: { kind: 'file', path: out, quality, overwriteInput: args.flag('overwrite-input') },
  })
  await engine.dispose()
  wrote(file)
}

async function generate(argv: string[]): Promise<void> {
  const args = parse(argv, ['seed', 'truncation', 'out'])
  const seed = parseInteger(args.required('seed'), '--seed', 0, 0xffffffff)
  const truncText = args.single('truncation')
  const truncation = truncText === undefined ? undefined : parseNumber(truncText, '--truncation', 0, 2)
  const out = outPath(args)
  const engine = await engineFor(args)
  const result = await engine.random({ seed, truncation })
  const written = await writeImage(result.image, { path: out })
  await engine.dispose()
  wrote(written)
}

async function morph(argv: string[]): Promise<void> {
  const args = parse(argv, ['a', 'b', 'a-crop', 'b-crop', 'a-face', 'b-face', 't', 'out'])
  const aPath = args.required('a')
  const bPath = args.required('b')
  const t = parseNumber(args.required('t'), '--t', 0, 1)
  const out = outPath(args)
  await refuseOverwritingInputs(out, [
    { option: '--a', path: aPath },
    { option: '--b', path: bPath },
  ])
  const engine = await engineFor(args)
  const aId = (await openPath(engine, aPath)).imageId
  const bId = (await openPath(engine, bPath)).imageId
  const a = { imageId: aId, crop: await cropOption(engine, args, aId, aPath, { crop: 'a-crop', face: 'a-face' }) }
  const b = { imageId: bId, crop: await cropOption(engine, args, bId, bPath, { crop: 'b-crop', face: 'b-face' }) }
  const result = await engine.morph({ a, b, t })
  const written = await writeImage(result.image, { path: out, inputPaths: [resolve(aPath), resolve(bPath)] })
  await engine.dispose()
  wrote(written)
}

async function benchCommand(argv: string[]): Promise<void> {
  const args = parseCommand(argv, ['model', 'optional-model', 'runs', 'provider', 'threads'], ['json'])
  const extra = args.all('model').map((d) => resolve(d))
  for (const d of args.all('optional-model')) if (existsSync(join(d, 'model.json'))) extra.push(resolve(d))
  const dirs: string[] = []
  try {
    dirs.push(await findDefaultModel(modelsRoot))
  } catch (e) {
    // without a bundled default, benchmarking an explicitly named model still makes sense
    if (!extra.length) throw e
    process.stderr.write(`note: ${toEngineError(e).message}\n`)
  }
  dirs.push(...extra.filter((d) => !dirs.includes(d)))
  const provider = (args.single('provider') ?? 'auto') as ProviderPreference
  if (provider !== 'auto' && !providerNames.includes(provider)) throw new EngineError(engineErrorCodes.badArgument, `--provider must be auto or one of ${providerNames.join(', ')}`)
  const runs = optionalInteger(args, 'runs', 10, 1000) ?? 10
  const threads = optionalInteger(args, 'threads', 1, 256)
  // a folder an earlier version imported measures that version's graphs, not today's
  for (const dir of dirs) {
    const version = await folderVersion(dir).catch(() => null)
    if (version?.state === 'upgradable') process.stderr.write(`note: ${dir} has an earlier version's graphs; 'stylemap upgrade --model ${dir}' gives it today's\n`)
    if (version?.state === 'early') process.stderr.write(`note: ${dir} has the first templates' graphs; convert its checkpoint again for today's\n`)
  }
  const report = await bench(dirs, {
    runs,
    threads,
    provider,
    log: (line) => process.stderr.write(`${line}\n`),
  })
  if (args.flag('json')) {
    print(JSON.stringify(report, null, 2))
    return
  }
  print(`provider ${report.executionProvider}; ${report.machine.cpu}${report.machine.simd ? ` (${report.machine.simd.join(' ') || 'no vector extensions known'})` : ''}, ${report.machine.cores} cores`)
  for (const r of report.results) {
    print(
      `${r.model} (${r.resolution} px): encode ${r.encode_ms} ms, decode ${r.decode_ms} ms, edit ${r.edit_ms} ms (${r.space}; ${r.edit_inference_ms} ms of it in onnxruntime), strength ${r.strength_ms} ms, preview ${r.preview_ms} ms (another feather ${r.repaste_ms} ms), draft ${r.draft_preview_ms ?? '-'} ms (${r.draft_psnr_db ?? '-'} dB), stroke end ${r.stroke_end_ms ?? '-'} ms, ` +
        `drafts while dragging a strength ${r.strength_draft_ms ?? '-'} ms (${r.strength_draft_psnr_db ?? '-'} dB), an offset ${r.offset_draft_ms ?? '-'} ms (${r.offset_draft_psnr_db ?? '-'} dB), ` +
        `first preview of framed crops ${r.first_preview_ms} ms (after prepare ${r.prepare_ms} ms: ${r.prepared_first_preview_ms} ms, a first draft ${r.prepared_first_draft_ms} ms, the slowest of its stroke's next dabs ${r.prepared_stroke_max_draft_ms} ms, a stroke's first dab past the reference's part kept ${r.past_kept_first_draft_ms} ms; a first draft asked for during prepare ${r.stroke_during_prepare_ms} ms), ` +
        `24 MP preview ${r.preview_24mp_ms} ms, 24 MP export ${r.export_24mp_ms} ms, ` +
        `reference pipeline ${r.reference_pipeline_ms} ms (${(r.reference_pipeline_ms / r.edit_ms).toFixed(1)}x), peak RSS ${r.peak_rss_mb} MB with a photo and 3 references (edit with 3: ${r.edit3_ms} ms; bench process ${r.process_peak_rss_mb} MB)${r.incremental ? ', incremental edits' : ''}`,
    )
  }
  if (report.faces) print(`faces: detect on 24 MP ${report.faces.detect_24mp_ms} ms (first call ${report.faces.detect_first_ms} ms), ${report.faces.faces_found} found`)
  else print(`faces: not measured (${report.facesSkipped})`)
}

const commands: Record<string, (argv: string[]) => Promise<void>> = {
  info,
  faces,
  align,
  reconstruct,
  edit,
  render,
  generate,
  morph,
  bench: benchCommand,
  download: (argv) => runDownload(argv, modelsRoot),
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
  if (command === 'upgrade') {
    process.exitCode = await runUpgrade(rest)
    return
  }
  const run = commands[command]
  if (!run) throw new EngineError(engineErrorCodes.badArgument, `unknown command ${command} (try --help)`)
  await run(rest)
}

process.on('uncaughtException', fail)
process.on('unhandledRejection', fail)
await main(process.argv.slice(2)).catch(fail)
