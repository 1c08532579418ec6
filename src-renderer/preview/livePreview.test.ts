import { describe, expect, it } from 'vitest'
import type { EditInput } from '../../src-shared/contract'
import { CodedError } from '../engine/api'
import { namesReleasedImage } from './livePreview'

const mask = { width: 1, height: 1, data: new Uint8Array(1) }
const edit: EditInput = {
  original: { imageId: 'img:photo', crop: { x: 0, y: 0, size: 8 } },
  layers: [{ reference: { imageId: 'img:ref', crop: { x: 0, y: 0, size: 8 } }, mask }],
}
const unknown = new CodedError('E_IMAGE_UNKNOWN', 'No open image has the id img:ref')

describe('a render that fails for an image the document let go of', () => {
  it('is stale when the edit names an image the document no longer holds', () => {
    expect(namesReleasedImage(unknown, edit, { 'img:photo': {} })).toBe(true)
  })
  it('is an error when the document still holds every image it names, or for any other code', () => {
    expect(namesReleasedImage(unknown, edit, { 'img:photo': {}, 'img:ref': {} })).toBe(false)
    expect(namesReleasedImage(new CodedError('E_INFERENCE', 'failed'), edit, { 'img:photo': {} })).toBe(false)
  })
})
