// The peak resident memory of this process, in MiB.
import { readFileSync } from 'node:fs'

/**
 * On Linux, VmHWM from /proc/self/status: the high-water mark of this process's own memory.
 * getrusage's maxRSS is no good in a child process there: the kernel carries the parent's
 * high-water mark over the fork and exec that start it, so a check or bench child of a process
 * holding 4.7 GB reported 4.7 GB though it never held 2. Elsewhere, maxRSS.
 */
export function peakRssMiB(): number {
  if (process.platform === 'linux') {
    try {
      const line = readFileSync('/proc/self/status', 'utf8').match(/^VmHWM:\s*(\d+)\s*kB/m)
      if (line) return Math.round(Number(line[1]) / 1024)
    } catch {
      // fall through to getrusage
    }
  }
  // KiB on Linux, bytes on macOS (Node normalises it to KiB everywhere)
  return Math.round(process.resourceUsage().maxRSS / 1024)
}
