import { describe, expect, it } from 'vitest'
import { UiStore } from '../ui/uiStore'
import { FaceFinder } from './faceFinder'
import type { Face } from './faces'

const face: Face = { box: [10, 20, 30, 40], score: 0.9, landmarks: [], crop: { x: 0, y: 0, size: 80, angle: 3 } }

function finder(answers: Record<string, Face[] | Error>) {
  const asked: string[] = []
  const ui = new UiStore()
  const faces = new FaceFinder(ui, async (imageId) => {
    asked.push(imageId)
    const answer = answers[imageId]
    if (answer instanceof Error) throw answer
    return { faces: answer }
  })
  return { ui, faces, asked }
}

describe('FaceFinder', () => {
  it('asks once per image and keeps what it found where the views read it', async () => {
    const { ui, faces, asked } = finder({ a: [face], b: [] })
    expect(await faces.find('a')).toEqual([face])
    expect(await faces.find('a')).toEqual([face])
    expect(await faces.find('b')).toEqual([])
    expect(asked).toEqual(['a', 'b'])
    expect(ui.faces).toEqual({ a: [face], b: [] })
    expect(faces.known('a')).toEqual([face])
  })

  it('keeps a failure: the next caller gets it without asking again', async () => {
    const { faces, asked } = finder({ a: new Error('face detection is not written yet') })
    await expect(faces.find('a')).rejects.toThrow('not written yet')
    await expect(faces.find('a')).rejects.toThrow('not written yet')
    expect(asked).toEqual(['a'])
    expect(faces.known('a')).toBeUndefined()
  })

  it('asks again after a model change, and drops answers of the model before', async () => {
    const { ui, faces, asked } = finder({ a: [face] })
    const late = faces.find('a')
    faces.clear()
    await late
    expect(ui.faces).toEqual({})
    await faces.find('a')
    expect(asked).toEqual(['a', 'a'])
    expect(ui.faces).toEqual({ a: [face] })
    faces.forget('a')
    expect(faces.known('a')).toBeUndefined()
  })
})
