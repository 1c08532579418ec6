// Timing of the live-preview paste-back on a 24 MP photo, in-process (not a test: it asserts
// nothing, it prints). Run: npx tsx src-main/engine/testing/previewTiming.ts [runs]
// It times engine.pastePreview (6000x4000 JPEG, 3000 px crop, 1024 px paste mask as the app
// sends, maxSize 1024) against the full paste-back, and the encodings the app could send the
// preview in.
import sharp from 'sharp'
import { Engine } from '../engine.js'
import { testModelDir } from './models.js'
import { gradientPixels, rectMask } from './photos.js'

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  return s[s.length >> 1]
}

async function timed<T>(runs: number, work: () => Promise<T>): Promise<{ ms: number; last: T }> {
  const times: number[] = []
  let last: T | undefined
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    last = await work()
    times.push(performance.now() - started)
  }
  return { ms: median(times), last: last as T }
}

const runs = Number(process.argv[2] ?? 5)
const engine = new Engine()
await engine.loadModel(await testModelDir())
const [width, height] = [6000, 4000]
const jpeg = await sharp(gradientPixels(width, height, 3), { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer()
const photo = await engine.openImage({ bytes: jpeg })
const crop = { x: 1800, y: 600, size: 3000 }
const sm = await engine.encode({ imageId: photo.imageId, crop })
const R = (await engine.modelInfo())?.model.resolution ?? 64
const generated = await engine.edit({ original: sm.stylemapId, layers: [{ reference: sm.stylemapId, mask: rectMask(R, R, 0, 0, R, R) }] })
const mask = rectMask(1024, 1024, 300, 350, 400, 300)
const request = { imageId: photo.imageId, crop, generated: generated.image, mask, feather: 8 }

await engine.pastePreview({ ...request, maxSize: 1024 })
const preview = await timed(runs, () => engine.pastePreview({ ...request, maxSize: 1024 }))
const full = await timed(Math.min(runs, 3), () => engine.pastePreview(request))
console.log(`pastePreview maxSize 1024: ${preview.ms.toFixed(0)} ms (median of ${runs})`)
console.log(`pastePreview full size (3000 px): ${full.ms.toFixed(0)} ms`)

const image = preview.last
const raw = () => sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
const encodings: [string, () => Promise<Buffer>][] = [
  ['png compressionLevel 6 (sharp default)', () => raw().png().toBuffer()],
  ['png compressionLevel 2', () => raw().png({ compressionLevel: 2 }).toBuffer()],
  ['png compressionLevel 1', () => raw().png({ compressionLevel: 1 }).toBuffer()],
  ['png compressionLevel 1, no adaptive filtering', () => raw().png({ compressionLevel: 1, adaptiveFiltering: false }).toBuffer()],
  ['png compressionLevel 0', () => raw().png({ compressionLevel: 0 }).toBuffer()],
  ['webp lossless effort 0', () => raw().webp({ lossless: true, effort: 0 }).toBuffer()],
]
for (const [name, encode] of encodings) {
  const { ms, last } = await timed(runs, encode)
  console.log(`${name}: ${ms.toFixed(1)} ms, ${(last.length / 1024).toFixed(0)} KiB`)
}
await engine.dispose()
