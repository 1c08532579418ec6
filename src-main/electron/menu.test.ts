import type { MenuItemConstructorOptions } from 'electron'
import { describe, expect, it } from 'vitest'
import { menuCommandSchema, type MenuCommand } from '../../src-shared/contract'
import { acceleratorOf, ShortcutIndex, shortcutTable, type ShortcutDeclaration } from '../../src-shared/shortcuts'
import { buildMenuTemplate, type MenuContext } from './menu'

function flatten(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? flatten(item.submenu) : [])])
}

function build(overrides: Partial<MenuContext> = {}) {
  const sent: { command: MenuCommand; recentId?: string }[] = []
  const template = buildMenuTemplate({
    platform: 'linux',
    appName: 'Stylemap Studio',
    recent: [],
    send: (command, recentId) => sent.push(recentId === undefined ? { command } : { command, recentId }),
    devTools: false,
    ...overrides,
  })
  const click = (label: string) => {
    const item = flatten(template).find((i) => i.label === label)
    if (!item?.click) throw new Error(`no clickable item ${label}`)
    ;(item.click as () => void)()
  }
  return { template, sent, click }
}

describe('application menu', () => {
  it('has File, Edit, View, Models and Help with the items the issue lists', () => {
    const { template } = build()
    expect(template.map((m) => m.label)).toEqual(['&File', '&Edit', '&View', '&Models', '&Help'])
    const labels = flatten(template).map((i) => i.label)
    for (const label of [
      'Open Photo…',
      'Open Reference…',
      'Save Project',
      'Save Project As…',
      'Export Image…',
      'Open Recent',
      'Undo',
      'Redo',
      'Zoom In',
      'Zoom Out',
      'Fit to Window',
      'Actual Size (100%)',
      'Keyboard Shortcuts',
      'About Stylemap Studio and Model Licences',
    ]) {
      expect(labels, label).toContain(label)
    }
  })

  it("has Models › Import Checkpoint…, which sends importCheckpoint (the models panel's Import checkpoint… action)", () => {
    for (const platform of ['linux', 'darwin'] as const) {
      const { template, sent, click } = build({ platform })
      const models = template.find((m) => m.label === '&Models')
      const labels = (models?.submenu as MenuItemConstructorOptions[]).map((i) => i.label ?? i.type)
      expect(labels, platform).toEqual(['Models…', 'separator', 'Import Checkpoint…'])
      click('Import Checkpoint…')
      click('Models…')
      expect(sent).toEqual([{ command: 'importCheckpoint' }, { command: 'models' }])
    }
    const items = flatten(build().template)
    expect(items.find((i) => i.id === 'importCheckpoint')?.accelerator).toBeUndefined()
    expect(items.find((i) => i.id === 'models')?.accelerator).toBe('CmdOrCtrl+M')
  })

  it('sends every editor command from some item, each exactly as named in the contract', () => {
    const { template, sent } = build({ recent: [{ id: 'r1', label: 'portrait.jpg' }] })
    for (const item of flatten(template)) if (item.click) (item.click as () => void)()
    const commands = new Set(sent.map((s) => s.command))
    expect([...commands].sort()).toEqual([...menuCommandSchema.options].sort())
    for (const s of sent) expect(menuCommandSchema.safeParse(s.command).success).toBe(true)
  })

  it('gives each command item its command name as id, once per menu bar', () => {
    for (const platform of ['linux', 'darwin'] as const) {
      const items = flatten(build({ platform }).template).filter((i) => i.id)
      const ids = items.map((i) => i.id)
      expect(new Set(ids).size, platform).toBe(ids.length)
      for (const id of ids) expect(menuCommandSchema.safeParse(id).success, id).toBe(true)
    }
    expect(flatten(build().template).find((i) => i.id === 'open')?.label).toBe('Open Photo…')
  })

  it('opens a recent file by its id, and says when there is none', () => {
    const withRecent = build({
      recent: [
        { id: 'abc', label: 'beach.png' },
        { id: 'def', label: 'trip.stylemap' },
      ],
    })
    withRecent.click('trip.stylemap')
    expect(withRecent.sent).toEqual([{ command: 'openRecent', recentId: 'def' }])
    const empty = build()
    const recentMenu = flatten(empty.template).find((i) => i.label === 'Open Recent')
    expect(recentMenu?.submenu).toEqual([{ label: 'No Recent Files', enabled: false }])
  })

  it('gives every shortcut to one item only, with the usual keys', () => {
    for (const platform of ['linux', 'win32', 'darwin'] as const) {
      const accelerators = flatten(build({ platform }).template)
        .map((i) => i.accelerator)
        .filter((a): a is string => typeof a === 'string')
      expect(new Set(accelerators).size, platform).toBe(accelerators.length)
    }
    const items = flatten(build().template)
    const key = (label: string) => items.find((i) => i.label === label)?.accelerator
    expect(key('Open Photo…')).toBe('CmdOrCtrl+O')
    expect(key('Save Project')).toBe('CmdOrCtrl+S')
    expect(key('Undo')).toBe('CmdOrCtrl+Z')
    expect(key('Redo')).toBe('CmdOrCtrl+Shift+Z')
    expect(key('New Project')).toBe('CmdOrCtrl+N')
  })

  it('follows platform conventions: app menu on macOS, Quit in File elsewhere, DevTools only in development', () => {
    const mac = build({ platform: 'darwin' }).template
    expect(mac[0]?.label).toBe('Stylemap Studio')
    expect(flatten(mac).filter((i) => i.role === 'quit')).toHaveLength(1)
    const linux = build().template
    expect(flatten(linux[0]!.submenu as MenuItemConstructorOptions[]).some((i) => i.role === 'quit')).toBe(true)
    expect(flatten(linux).some((i) => i.role === 'toggleDevTools')).toBe(false)
    expect(flatten(build({ devTools: true }).template).some((i) => i.role === 'toggleDevTools')).toBe(true)
  })
})

describe('menu accelerators and the editor shortcut table agree', () => {
  // Each accelerator is either handled by the page (shown, not registered) or by the menu
  // (registered, unknown to the page): a key press never runs an action twice.
  function keyOf(accelerator: string) {
    const parts = accelerator.split('+')
    const key = parts[parts.length - 1]
    return {
      key: key.length === 1 ? key.toLowerCase() : key,
      ctrlKey: parts.includes('CmdOrCtrl') || parts.includes('Ctrl') || parts.includes('Cmd'),
      metaKey: false,
      shiftKey: parts.includes('Shift'),
      altKey: parts.includes('Alt'),
    }
  }

  it('shows each declared chord on its command, registered only where the page does not handle it', () => {
    for (const platform of ['linux', 'darwin'] as const) {
      const items = flatten(build({ platform }).template).filter((i) => i.id)
      for (const declaration of shortcutTable) {
        if (!('menu' in declaration)) continue
        const item = items.find((i) => i.id === declaration.menu)
        expect(item, declaration.menu).toBeDefined()
        const menuKey = 'menuKey' in declaration ? declaration.menuKey : undefined
        const chord = menuKey ?? declaration.keys[0]
        expect(item?.accelerator, declaration.menu).toBe(chord === undefined ? undefined : acceleratorOf(chord))
        expect(item?.registerAccelerator, declaration.menu).toBe(menuKey === undefined && chord !== undefined ? false : undefined)
      }
      // and no item has a key the table does not declare
      const declared = new Set<string>(shortcutTable.flatMap((d) => ('menu' in d ? [d.menu] : [])))
      for (const item of items) if (item.accelerator) expect(declared.has(String(item.id)), String(item.id)).toBe(true)
    }
  })

  it('page-handled items map to a shortcut; registered ones do not', () => {
    const page = new ShortcutIndex<ShortcutDeclaration>(shortcutTable)
    const items = flatten(build().template).filter((i) => typeof i.accelerator === 'string' && i.id)
    expect(items.length).toBeGreaterThan(10)
    for (const item of items) {
      const hit = page.find(keyOf(item.accelerator as string))
      if (item.registerAccelerator === false) expect(hit?.menu, `${item.label} ${String(item.accelerator)}`).toBe(item.id)
      else expect(hit, `${item.label} ${String(item.accelerator)}`).toBeNull()
    }
  })
})
