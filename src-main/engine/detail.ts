// Detail transfer for the paste-back. The generator draws at its own resolution (64 or 256
// px); pasted into a crop several times larger it would look blurred. So the result takes its
// low frequencies from the generator and the frequencies the model cannot hold from real
// photos: inside a layer's mask from the reference, where the content comes from (offset
// included), elsewhere from the photo itself:
//
//     result = upsample(generated) + highpass(detail source)
//     highpass(x) = x - gaussian(x, sigma)    sigma = 0.5 * size / R
//
// A Gaussian low-pass has no ringing, so the detail adds no halo or seam. Its cutoff sits at
// the model grid's Nyquist frequency, so the detail band is what the generator cannot draw and
// the result downsampled to the model's resolution stays the generator's. The reference adds
// luminance detail only (the same to R, G and B): its colour never reaches the result, so a
// black-and-white reference does not turn it grey.
import sharp from 'sharp'
import type { RawImage } from './api.js'

/** Below this blur radius the crop is not larger than the model grid: there is no detail band to add. */
const minSigma = 0.35

/** Whether a blur radius leaves a detail band worth adding (the output is larger than the model grid). */
export function hasDetailBand(sigma: number): boolean {
  return sigma >= minSigma
}

/** The blur radius (in output pixels) that separates what a model of resolution R holds at `size` pixels. */
export function detailSigma(size: number, resolution: number): number {
  return (0.5 * size) / resolution
}

async function blurred(image: RawImage, sigma: number): Promise<Uint8Array> {
  let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels }, limitInputPixels: false }).blur(sigma)
  // sharp writes a one-channel input out as sRGB unless told to keep the one channel
  if (image.channels === 1) pipeline = pipeline.extractChannel(0)
  const { data } = await pipeline.raw().toBuffer({ resolveWithObject: true })
  if (data.byteLength !== image.data.byteLength) throw new Error(`blur returned ${data.byteLength} bytes for ${image.data.byteLength}`)
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

/** gaussian(image, sigma): what is left of it below the detail band (the image itself when there is no band). */
export async function lowPass(image: RawImage, sigma: number): Promise<RawImage> {
  if (!hasDetailBand(sigma)) return image
  return { ...image, data: await blurred(image, sigma) }
}

/** Per-channel (RGB) high-pass of an image given its `lowPass`: x - low, interleaved, 3 values per pixel. */
export function highPassRgb(image: RawImage, low: RawImage): Float32Array {
  const n = image.width * image.height
  const out = new Float32Array(n * 3)
  const ch = image.channels
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = image.data[i * ch + Math.min(c, ch - 1)] - low.data[i * ch + Math.min(c, ch - 1)]
  return out
}

/** Luminance (Rec. 601) of an RGB(A) or gray image, one byte per pixel. */
function luminance(image: RawImage): RawImage {
  const n = image.width * image.height
  const ch = image.channels
  const data = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const p = i * ch
    data[i] = ch < 3 ? image.data[p] : Math.round(0.299 * image.data[p] + 0.587 * image.data[p + 1] + 0.114 * image.data[p + 2])
  }
  return { width: image.width, height: image.height, channels: 1, data }
}

/** High-pass of the luminance: x - gaussian(x), one value per pixel. */
export async function highPassLuma(image: RawImage, sigma: number): Promise<Float32Array> {
  const gray = luminance(image)
  const out = new Float32Array(gray.data.length)
  if (sigma < minSigma) return out
  const low = await blurred(gray, sigma)
  for (let i = 0; i < out.length; i++) out[i] = gray.data[i] - low[i]
  return out
}

/** One reference's detail, at the output size, and where it applies. */
export interface DetailLayer {
  /** Luminance high-pass of the reference's crop brought to the output size. */
  highPass: Float32Array
  /** The layer's feathered mask at the output size, 0..1. */
  alpha: Float32Array
  strength: number
  /** Where the content comes from: output pixel (x, y) takes the reference's detail at (x - dx, y - dy). */
  dx: number
  dy: number
}

/**
 * The detail to add to the upsampled generator output, 3 values per pixel: the photo's own
 * detail, moved toward each reference's detail by its feathered mask times its strength, in
 * layer order (as the stylemaps are mixed). Reference detail shifted in from past its crop is zero.
 */
export function blendDetail(photo: Float32Array, layers: DetailLayer[], size: number): Float32Array {
  const out = Float32Array.from(photo)
  for (const layer of layers) {
    for (let y = 0; y < size; y++) {
      const sy = y - layer.dy
      for (let x = 0; x < size; x++) {
        const k = y * size + x
        const w = layer.alpha[k] * layer.strength
        if (w === 0) continue
        const sx = x - layer.dx
        const d = sy >= 0 && sy < size && sx >= 0 && sx < size ? layer.highPass[sy * size + sx] : 0
        for (let c = 0; c < 3; c++) out[k * 3 + c] += w * (d - out[k * 3 + c])
      }
    }
  }
  return out
}
