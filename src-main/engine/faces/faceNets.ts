// The networks behind face detection: @vladmandic/face-api's face detectors and its 68-point
// landmark net, run by TensorFlow.js on its WebAssembly backend (plain Node: no native addon,
// no GPU, the same in the engine process, the CLI and the tests). Loaded on first use, once;
// the weights ship in the package's model/ folder (unpacked from the asar in a packaged app).
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type * as Tf from '@tensorflow/tfjs'
import type * as FaceApi from '@vladmandic/face-api/dist/face-api.node-wasm.js'

export type FaceApiModule = typeof FaceApi

export interface FaceNets {
  faceapi: FaceApiModule
  /** The tfjs that face-api runs on (its typings name only a few of tfjs's functions). */
  tf: typeof Tf
}

/** The weights of the nets this app uses, by face-api's file stem (manifest + .bin in model/). */
export const faceNetFiles = ['tiny_face_detector_model', 'ssd_mobilenetv1_model', 'face_landmark_68_model'] as const

export type FaceNetFile = (typeof faceNetFiles)[number]

let loading: Promise<FaceNets> | null = null
/** Weights loaded (or loading), by file stem: each is read once, and only when a caller needs it. */
const weights = new Map<FaceNetFile, Promise<void>>()

/** The model/ folder of the installed @vladmandic/face-api. */
export function faceModelDir(): string {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model')
}

/**
 * tfjs and face-api with the weights of `needed` (default: the detector the app uses and the
 * landmark net; SSD's 5.6 MB only for the eval that compares it), loaded on the first call that
 * needs them; later calls share the same loads. A failed load is tried again on the next call.
 */
export async function faceNets(needed: readonly FaceNetFile[] = ['tiny_face_detector_model', 'face_landmark_68_model']): Promise<FaceNets> {
  loading ??= runtime().catch((error: unknown) => {
    loading = null
    throw error
  })
  const nets = await loading
  await Promise.all(
    needed.map((stem) => {
      let pending = weights.get(stem)
      if (!pending) {
        pending = quietly(() => loadWeights(nets, stem)).catch((error: unknown) => {
          weights.delete(stem)
          throw error
        })
        weights.set(stem, pending)
      }
      return pending
    }),
  )
  return nets
}

/** The console's own methods while a `quietly` call runs (null: none runs). */
let loud: Pick<Console, 'log' | 'warn' | 'info'> | null = null
let quietRuns = 0

/**
 * tfjs and face-api write notices to the console (backend registration, "platform already
 * set", kernel re-registration). The engine's stdout belongs to the CLI's output and the
 * engine protocol, so the console is quiet while they load and warm up. Calls may overlap (the
 * nets' weights load side by side): the first mutes, and the last to end gives the console its
 * own methods back, never another call's mute.
 */
export async function quietly<T>(run: () => Promise<T>): Promise<T> {
  if (quietRuns++ === 0) {
    loud = { log: console.log, warn: console.warn, info: console.info }
    const mute = () => {}
    console.log = mute
    console.warn = mute
    console.info = mute
  }
  try {
    return await run()
  } finally {
    if (--quietRuns === 0 && loud) {
      Object.assign(console, loud)
      loud = null
    }
  }
}

/** tfjs on its WebAssembly backend, and face-api on it. */
async function runtime(): Promise<FaceNets> {
  return quietly(async () => {
    const imported = (await import('@vladmandic/face-api/dist/face-api.node-wasm.js')) as FaceApiModule & { default?: FaceApiModule }
    const faceapi = imported.default ?? imported
    const tf = faceapi.tf as unknown as typeof Tf
    tf.enableProdMode()
    if (tf.getBackend() !== 'wasm') await tf.setBackend('wasm')
    await tf.ready()
    return { faceapi, tf }
  })
}

/**
 * One net's weights, read by us (face-api's loadFromDisk guesses its environment): a manifest
 * of weight groups, each naming its .bin, decoded by tfjs.
 */
async function loadWeights({ faceapi, tf }: FaceNets, stem: FaceNetFile): Promise<void> {
  const net = { tiny_face_detector_model: faceapi.nets.tinyFaceDetector, ssd_mobilenetv1_model: faceapi.nets.ssdMobilenetv1, face_landmark_68_model: faceapi.nets.faceLandmark68Net }[stem]
  const dir = faceModelDir()
  const manifest = JSON.parse(await readFile(join(dir, `${stem}-weights_manifest.json`), 'utf8')) as { paths: string[]; weights: Tf.io.WeightsManifestEntry[] }[]
  const specs = manifest.flatMap((group) => group.weights)
  const buffers = await Promise.all(manifest.flatMap((group) => group.paths).map((path) => readFile(join(dir, path))))
  const bytes = Buffer.concat(buffers)
  const map = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), specs)
  net.loadFromWeightMap(map as unknown as FaceApi.tf.NamedTensorMap)
}
