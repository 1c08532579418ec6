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

let loading: Promise<FaceNets> | null = null

/** The model/ folder of the installed @vladmandic/face-api. */
export function faceModelDir(): string {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model')
}

/** The nets, loaded on the first call; later calls share the same load. */
export function faceNets(): Promise<FaceNets> {
  loading ??= load().catch((error: unknown) => {
    loading = null // a failed load (a file missing) is tried again on the next call
    throw error
  })
  return loading
}

/**
 * tfjs and face-api write notices to the console (backend registration, "platform already
 * set", kernel re-registration). The engine's stdout belongs to the CLI's output and the
 * engine protocol, so the console is quiet while they load and warm up.
 */
async function quietly<T>(run: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, warn: console.warn, info: console.info }
  const mute = () => {}
  console.log = mute
  console.warn = mute
  console.info = mute
  try {
    return await run()
  } finally {
    Object.assign(console, saved)
  }
}

async function load(): Promise<FaceNets> {
  return quietly(async () => {
    const imported = (await import('@vladmandic/face-api/dist/face-api.node-wasm.js')) as FaceApiModule & { default?: FaceApiModule }
    const faceapi = imported.default ?? imported
    const tf = faceapi.tf as unknown as typeof Tf
    tf.enableProdMode()
    if (tf.getBackend() !== 'wasm') await tf.setBackend('wasm')
    await tf.ready()
    const dir = faceModelDir()
    const nets = { tiny_face_detector_model: faceapi.nets.tinyFaceDetector, ssd_mobilenetv1_model: faceapi.nets.ssdMobilenetv1, face_landmark_68_model: faceapi.nets.faceLandmark68Net }
    for (const stem of faceNetFiles) {
      // Read the files ourselves (face-api's loadFromDisk guesses its environment): a manifest of
      // weight groups, each naming its .bin, decoded by tfjs.
      const manifest = JSON.parse(await readFile(join(dir, `${stem}-weights_manifest.json`), 'utf8')) as { paths: string[]; weights: Tf.io.WeightsManifestEntry[] }[]
      const specs = manifest.flatMap((group) => group.weights)
      const buffers = await Promise.all(manifest.flatMap((group) => group.paths).map((path) => readFile(join(dir, path))))
      const bytes = Buffer.concat(buffers)
      const map = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), specs)
      nets[stem].loadFromWeightMap(map as unknown as FaceApi.tf.NamedTensorMap)
    }
    return { faceapi, tf }
  })
}
