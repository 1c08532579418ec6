import { describe, expect, it } from 'vitest'
import { isTyping } from './isTyping'

// just the fields isTyping reads: the renderer's tests run in Node, without a DOM
const el = (tagName: string, fields: { type?: string; isContentEditable?: boolean } = {}) =>
  ({ tagName, isContentEditable: false, ...fields }) as unknown as EventTarget

describe('isTyping', () => {
  it('is true in text fields, so letters and Space type there', () => {
    for (const type of ['text', 'number', 'search', 'email', 'password']) expect(isTyping(el('INPUT', { type })), type).toBe(true)
    expect(isTyping(el('TEXTAREA'))).toBe(true)
    expect(isTyping(el('SELECT'))).toBe(true)
    expect(isTyping(el('DIV', { isContentEditable: true }))).toBe(true)
  })

  it('is false on sliders, checkboxes, buttons and the page, so shortcuts keep working there', () => {
    for (const type of ['range', 'checkbox', 'radio', 'button']) expect(isTyping(el('INPUT', { type })), type).toBe(false)
    expect(isTyping(el('BUTTON'))).toBe(false)
    expect(isTyping(el('BODY'))).toBe(false)
    expect(isTyping(null)).toBe(false)
  })
})
