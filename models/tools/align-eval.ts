// What face alignment does for reconstructions, on the bundled model (issue 11's figures):
//
//   npx tsx models/tools/align-eval.ts [--faces N] [--model DIR]
//
// 1. Turned faces: N held-out UTKFace 200 px faces, each put into a 900 x 700 photo at 150-400
//    px, once upright and once turned by a random angle within +-35 degrees. Each is found,
//    framed by the model's alignment and reconstructed; PSNR of the reconstruction against the
//    model's input (its view of the frame). The goal: turned within 1.5 dB of upright.
// 2. Framing: the same upright faces framed three ways: aligned; the square a user would draw
//    around the face (the detector's box, made square: today's manual framing); the default
//    crop (the photo's largest centred square). And the real 512 px portraits in
//    shared/data/photos: aligned vs the whole picture (how a new user used to open them).
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Crop } from '../../src-main/engine/api.js'
import { Engine } from '../../src-main/engine/engine.js'
import { cropToModel, decodeImage } from '../../src-main/engine/images.js'
import { defaultModelDir } from '../../src-main/engine/testing/models.js'
import { tiltedFacesPhoto } from '../../src-main/engine/testing/photos.js'
import { heldOutFaces, sharedDataDir } from '../../src-main/testing/utkface.js'

const { values } = parseArgs({ options: { faces: { type: 'string', default: '60' }, model: { type: 'string', default: defaultModelDir } } })
const count = Number(values.faces)

/** A small deterministic generator, so every run measures the same photos. */
function random(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2
  return 10 * Math.log10((255 * 255) / Math.max(1e-9, sum / a.length))
}

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length)
const fmt = (xs: number[]): string => `${mean(xs).toFixed(2)} dB (n=${xs.length})`

const engine = new Engine()
const { model } = await engine.loadModel(values.model)
const R = model.resolution
if (!model.alignment) throw new Error(`${model.id} has no alignment in its model.json`)

/** Reconstruction PSNR of a photo's crop against the model's input. */
async function reconstructionPsnr(bytes: Buffer, crop: Crop | undefined): Promise<number> {
  const image = await engine.openImage({ bytes })
  const held = await decodeImage({ bytes })
  const frame = crop ?? { x: Math.floor((image.width - Math.min(image.width, image.height)) / 2), y: Math.floor((image.height - Math.min(image.width, image.height)) / 2), size: Math.min(image.width, image.height) }
  const input = await cropToModel(held.pixels, frame, R)
  const { generated } = await engine.render({ edit: { original: { imageId: image.imageId, crop: frame }, layers: [] }, output: { kind: 'generated' } })
  await engine.closeImage(image.imageId)
  return psnr(input.data, generated.data)
}

async function firstFace(bytes: Buffer) {
  const image = await engine.openImage({ bytes })
  const { faces } = await engine.detectFaces(image.imageId)
  return { image, face: faces[0] }
}

const next = random(11)
const upright: number[] = []
const turned: number[] = []
const manual: number[] = []
const whole: number[] = []
let missedUpright = 0
let missedTurned = 0
for (const face of heldOutFaces(count, 'utkface200')) {
  const size = Math.round(150 + next() * 250)
  const at = { cx: 450 + (next() - 0.5) * 200, cy: 350 + (next() - 0.5) * 100, size, degrees: 0 }
  const degrees = Math.round((next() * 2 - 1) * 35)
  const straight = await tiltedFacesPhoto([{ image: face.bytes, at }], 900, 700)
  const tilted = await tiltedFacesPhoto([{ image: face.bytes, at: { ...at, degrees } }], 900, 700)
  const a = await firstFace(straight)
  const b = await firstFace(tilted)
  if (!a.face) missedUpright++
  if (!b.face) missedTurned++
  if (!a.face || !b.face) continue
  upright.push(await reconstructionPsnr(straight, a.face.crop))
  turned.push(await reconstructionPsnr(tilted, b.face.crop))
  const [x, y, w, h] = a.face.box
  const side = Math.round(Math.max(w, h))
  const square = { x: Math.round(x + w / 2 - side / 2), y: Math.round(y + h / 2 - side / 2), size: side }
  if (square.x >= 0 && square.y >= 0 && square.x + side <= 900 && square.y + side <= 700) manual.push(await reconstructionPsnr(straight, square))
  whole.push(await reconstructionPsnr(straight, undefined))
}

console.log(`model ${model.id} (${R} px), ${count} held-out UTKFace 200 px faces in 900x700 photos, 150-400 px, turned within +-35 degrees`)
console.log(`  not found: upright ${missedUpright}, turned ${missedTurned}`)
console.log(`  aligned, upright:            ${fmt(upright)}`)
console.log(`  aligned, turned:             ${fmt(turned)}   (difference ${(mean(upright) - mean(turned)).toFixed(2)} dB)`)
console.log(`  manual square on the box:    ${fmt(manual)}`)
console.log(`  default centred square:      ${fmt(whole)}`)

const photosDir = join(sharedDataDir, 'photos')
// the 512 px FFHQ-aligned portraits were framed UTKFace-like by hand before: this square
const byHand = { x: 105, y: 143, size: 303 }
console.log('real photos: the largest face aligned; the default centred square; for the 512 px portraits, the UTKFace-like square framed by hand')
for (const name of (await readdir(photosDir)).filter((n) => n.endsWith('.png')).sort()) {
  const bytes = await readFile(join(photosDir, name))
  const { image, face } = await firstFace(bytes)
  const all = await reconstructionPsnr(bytes, undefined)
  const aligned = face ? `${(await reconstructionPsnr(bytes, face.crop)).toFixed(2)} dB` : 'no face found'
  const hand = image.width === 512 && image.height === 512 ? `  by hand ${(await reconstructionPsnr(bytes, byHand)).toFixed(2)} dB` : ''
  console.log(`  ${name.padEnd(36)} aligned ${aligned}  default ${all.toFixed(2)} dB${hand}`)
}
await engine.dispose()
