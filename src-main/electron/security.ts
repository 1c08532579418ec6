// Electron's security checklist, applied once for the whole app: no navigation, no new
// windows (vetted https links go to the browser), no webviews, every permission denied, and
// the CSP header on the dev server's responses (app:// responses carry the strict one).
import { app, session, shell } from 'electron'
import { isVettedExternalUrl } from './externalLinks'
import { developmentContentSecurityPolicy } from './rendererProtocol'

export function applySecurityPolicy(options: { devServerOrigin: string | null }): void {
  const ses = session.defaultSession
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  ses.setPermissionCheckHandler(() => false)
  ses.setDevicePermissionHandler(() => false)

  if (options.devServerOrigin) {
    const origin = options.devServerOrigin
    ses.webRequest.onHeadersReceived({ urls: [`${origin}/*`] }, (details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [developmentContentSecurityPolicy] } })
    })
  }

  app.on('web-contents-created', (_event, contents) => {
    // The editor is a single page: any navigation is either a bug or an attack.
    contents.on('will-navigate', (event) => event.preventDefault())
    contents.on('will-redirect', (event) => event.preventDefault())
    contents.on('will-attach-webview', (event) => event.preventDefault())
    contents.setWindowOpenHandler(({ url }) => {
      if (isVettedExternalUrl(url)) void shell.openExternal(url)
      return { action: 'deny' }
    })
  })
}
