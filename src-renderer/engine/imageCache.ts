// Display copies of the images main holds, loaded once per image id.
import { bytesToUrl, call } from './api'

export interface DisplayImage {
  url: string
  element: HTMLImageElement
  /** size of the display copy */
  width: number
  height: number
  /** upright full-resolution size of the photo it shows */
  fullWidth: number
  fullHeight: number
}

const DISPLAY_MAX = 2048

export class ImageCache {
  private readonly entries = new Map<string, Promise<DisplayImage>>()

  get(imageId: string): Promise<DisplayImage> {
    let entry = this.entries.get(imageId)
    if (!entry) {
      entry = this.load(imageId)
      this.entries.set(imageId, entry)
      entry.catch(() => this.entries.delete(imageId))
    }
    return entry
  }

  release(imageId: string): void {
    const entry = this.entries.get(imageId)
    this.entries.delete(imageId)
    void entry?.then((img) => URL.revokeObjectURL(img.url)).catch(() => undefined)
  }

  private async load(imageId: string): Promise<DisplayImage> {
    const { preview, fullWidth, fullHeight } = await call('image:preview', { imageId, maxSize: DISPLAY_MAX })
    const url = bytesToUrl(preview.bytes, preview.mime)
    const element = await loadImage(url)
    return { url, element, width: preview.width, height: preview.height, fullWidth, fullHeight }
  }
}

export function loadImage(url: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image()
    img.onload = () => resolve(img)
    img.onerror = () => reject(new Error('the display copy could not be decoded'))
    img.src = url
  })
}
