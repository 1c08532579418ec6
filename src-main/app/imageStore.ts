// The images main holds for the open document: their file bytes (for project files and
// for re-opening them in a restarted engine), their display names and what the engine
// reported, and the files they were opened from (so nothing is written over them). The engine
// names an image by its content hash, so the same photo opened twice is one entry with a
// reference count.
import { stat } from 'node:fs/promises'
import type { EngineApi, ImageInfo as EngineImageInfo } from '../engine/api'
import { readRegularFile } from '../engine/files'
import { appErrorCodes, type ImageInfo } from '../../src-shared/contract'
import { AppFailure } from './dispatch'
import type { ImageFile } from './projectFile'

export interface HeldImage extends ImageFile {
  info: ImageInfo
  refs: number
  /** The files on disk it was opened from; none for a project's or a dropped image. */
  sourcePaths: Set<string>
}

function infoOf(engineInfo: EngineImageInfo, name: string, byteLength: number): ImageInfo {
  return { imageId: engineInfo.imageId, name, width: engineInfo.width, height: engineInfo.height, format: engineInfo.format, byteLength }
}

export class ImageStore {
  private readonly images = new Map<string, HeldImage>()

  constructor(private readonly engine: EngineApi) {}

  /**
   * Decode and hold an image, read from `sourcePath` when it came from a file on disk; a bad file
   * throws the engine's code (E_IMAGE_DECODE, E_IMAGE_TOO_LARGE, ...).
   */
  async add(name: string, bytes: Uint8Array, sourcePath?: string): Promise<ImageInfo> {
    const engineInfo = await this.engine.openImage({ bytes, name })
    const held = this.images.get(engineInfo.imageId)
    if (held) {
      held.refs += 1
      // the paths stay until the last hold goes: which hold a release drops is not known
      if (sourcePath) held.sourcePaths.add(sourcePath)
      return { ...held.info, name }
    }
    const info = infoOf(engineInfo, name, bytes.length)
    this.images.set(info.imageId, { name, bytes, info, refs: 1, sourcePaths: new Set(sourcePath ? [sourcePath] : []) })
    return info
  }

  /** Every file an image held now was opened from. */
  sourcePaths(): string[] {
    return [...this.images.values()].flatMap((held) => [...held.sourcePaths])
  }

  /**
   * The held image whose bytes are exactly the file at `path`, or null: how a photo with no
   * source path (dropped, or held from a project) is still recognised on disk. The file is
   * read only when its size matches a held image's.
   */
  async holdingContentOf(path: string): Promise<HeldImage | null> {
    const size = await stat(path).then(
      (stats) => (stats.isFile() ? stats.size : -1),
      () => -1,
    )
    const sameSize = [...this.images.values()].filter((held) => held.bytes.length === size)
    if (!sameSize.length) return null
    const bytes = await readRegularFile(path, size).catch(() => null)
    return (bytes && sameSize.find((held) => bytes.equals(held.bytes))) || null
  }

  get(imageId: string): HeldImage {
    const held = this.images.get(imageId)
    if (!held) throw new AppFailure(appErrorCodes.imageUnknown, `No open image has the id ${imageId}; open it again.`)
    return held
  }

  /** How many distinct images are held. */
  get size(): number {
    return this.images.size
  }

  /** Drop one hold; the engine forgets the image when the last one goes. */
  async release(imageId: string): Promise<boolean> {
    const held = this.images.get(imageId)
    if (!held) return false
    held.refs -= 1
    if (held.refs <= 0) {
      this.images.delete(imageId)
      await this.engine.closeImage(imageId).catch(() => undefined)
    }
    return true
  }

  /** Hand every held image to the engine again (after it restarted and lost them). */
  async reopenAll(): Promise<void> {
    for (const held of this.images.values()) await this.engine.openImage({ bytes: held.bytes, name: held.name })
  }
}
