// The holds this window has on the images main keeps. Main counts holds: every image:open,
// image:import and every image of an opened or recovered project adds one, image:release
// drops one, and main forgets the image when none is left. The window releases an image once
// nothing can show it again: neither the document nor a step of its undo history (a removed
// reference comes back with undo, so its image stays held until that step is gone).

export class ImageHolds {
  private readonly counts = new Map<string, number>()

  constructor(
    /** the images the document and its history name now */
    private readonly inUse: () => ReadonlySet<string>,
    /** drop one hold in main */
    private readonly release: (imageId: string) => void,
  ) {}

  /**
   * Count the holds main just gave, one per id (an id may come twice). Call it once the
   * images are in the document, or have failed to get there: until then nothing releases them.
   */
  took(imageIds: readonly string[]): void {
    for (const id of imageIds) this.counts.set(id, (this.counts.get(id) ?? 0) + 1)
    this.collect()
  }

  /** Release every hold on an image the document and its history no longer name. */
  collect(): void {
    if (this.counts.size === 0) return
    const used = this.inUse()
    for (const [id, count] of [...this.counts]) {
      if (used.has(id)) continue
      this.counts.delete(id)
      for (let i = 0; i < count; i++) this.release(id)
    }
  }

  /** Holds per image id. */
  held(): Map<string, number> {
    return new Map(this.counts)
  }
}
