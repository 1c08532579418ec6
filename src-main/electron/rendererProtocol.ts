// The packaged renderer is served from `app://stylemap/...` rather than file://, so the page
// has a real origin the IPC sender check can pin, and every response carries our CSP header.
// This module is the pure part: which file a URL may map to, and its headers.
import { extname, isAbsolute, relative, resolve, sep } from 'node:path'

export const appScheme = 'app'
export const appHost = 'stylemap'
export const appOrigin = `${appScheme}://${appHost}`

/**
 * The policy main sends with every page and the dev server page. It matches the meta tag in
 * src-renderer/index.html; both apply, so the stricter of the two wins.
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "img-src 'self' data: blob:",
  // React and fabric set inline styles; no inline or remote script is allowed.
  "style-src 'self' 'unsafe-inline'",
  "script-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/**
 * Development only (`npm run dev`): Vite's React refresh injects one inline module script,
 * which the policy above forbids. The packaged app never uses this.
 */
export const developmentContentSecurityPolicy = contentSecurityPolicy.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")

const mimeByExtension: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
}

export type RendererFile = { ok: true; file: string; mime: string } | { ok: false; status: 400 | 403 | 404; reason: string }

/** Maps a request URL to a file inside `rendererRoot`, refusing anything that would leave it. */
export function resolveRendererFile(rendererRoot: string, requestUrl: string): RendererFile {
  let url: URL
  try {
    url = new URL(requestUrl)
  } catch {
    return { ok: false, status: 400, reason: 'malformed URL' }
  }
  if (url.protocol !== `${appScheme}:` || url.host.toLowerCase() !== appHost) {
    return { ok: false, status: 403, reason: `not our origin: ${url.protocol}//${url.host}` }
  }
  let path: string
  try {
    path = decodeURIComponent(url.pathname)
  } catch {
    return { ok: false, status: 400, reason: 'malformed path encoding' }
  }
  if (path.includes('\0') || path.includes('\\')) return { ok: false, status: 400, reason: 'illegal character in path' }
  if (path.split('/').some((segment) => segment === '..')) return { ok: false, status: 403, reason: 'path leaves the app folder' }
  const relativePath = path === '/' || path === '' ? 'index.html' : path.replace(/^\/+/, '')
  const root = resolve(rendererRoot)
  const file = resolve(root, relativePath)
  const inside = relative(root, file)
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside) || !file.startsWith(root + sep)) {
    return { ok: false, status: 403, reason: 'path leaves the app folder' }
  }
  const mime = mimeByExtension[extname(file).toLowerCase()]
  if (!mime) return { ok: false, status: 404, reason: `no such app file type: ${extname(file) || '(none)'}` }
  return { ok: true, file, mime }
}

/** Headers for every app:// response. */
export function rendererResponseHeaders(mime: string): Record<string, string> {
  return {
    'Content-Type': mime,
    'Content-Security-Policy': contentSecurityPolicy,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  }
}
