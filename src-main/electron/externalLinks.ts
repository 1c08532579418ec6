// Links the About box may open in the user's browser: https only, to a short list of hosts
// (licences and the papers/data sets the models come from). Everything else is refused.

const vettedHosts = new Set(['creativecommons.org', 'github.com', 'arxiv.org', 'susanqq.github.io', 'onnxruntime.ai', 'www.electronjs.org'])

/** True only for https URLs on a vetted host, without credentials or odd ports. */
export function isVettedExternalUrl(raw: string): boolean {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return false
  }
  return url.protocol === 'https:' && url.username === '' && url.password === '' && url.port === '' && vettedHosts.has(url.hostname)
}
