// The bench's timing loop (what runs before the timed calls, in which order) and the machine it reports.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { machineInfo, MAX_TIMED_RUNS, MAX_WARM_UP_RUNS, simdFlags, timed, TIMED_MS, WARM_UP_MS } from './bench.js'

describe('timed', () => {
  it('warms up with the first calls in order, repeated while quick, so the timed calls follow the same call as after a short warm-up', async () => {
    const calls: number[] = []
    await timed(3, 3, async (i) => {
      calls.push(i)
    })
    // quick calls: timed up to the cap, numbered on from the warm-up
    const timedCalls = calls.filter((i) => i >= 3)
    expect(timedCalls).toEqual(Array.from({ length: MAX_TIMED_RUNS }, (_, k) => 3 + k))
    const warm = calls.slice(0, -MAX_TIMED_RUNS)
    // warmed up to about the cap, and not stopped halfway through a cycle
    expect(warm.length).toBeGreaterThan(3)
    expect(warm.length).toBeLessThan(MAX_WARM_UP_RUNS + 3)
    expect(warm.length % 3).toBe(0)
    expect(warm.every((i, n) => i === n % 3)).toBe(true)
  })

  it('times slow calls `runs` times, and quick ones until they took TIMED_MS together', async () => {
    const calls: number[] = []
    await timed(2, 0, async (i) => {
      calls.push(i)
      await new Promise((resolve) => setTimeout(resolve, TIMED_MS / 2 + 20))
    })
    expect(calls).toEqual([0, 1])
    let n = 0
    const started = performance.now()
    await timed(2, 0, async () => {
      n++
      await new Promise((resolve) => setTimeout(resolve, 40))
    })
    // about TIMED_MS / 40 calls: more than `runs`, fewer than the cap
    expect(n).toBeGreaterThan(10)
    expect(n).toBeLessThan(MAX_TIMED_RUNS)
    expect(performance.now() - started).toBeGreaterThanOrEqual(TIMED_MS)
  })

  it('keeps to the warm-up count where the calls take longer than WARM_UP_MS together, and warms up none when asked for none', async () => {
    const slow: number[] = []
    await timed(1, 2, async (i) => {
      slow.push(i)
      await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS / 2 + 20))
    })
    // two warm-up calls (past WARM_UP_MS), then timed ones until past TIMED_MS: two of them
    expect(slow).toEqual([0, 1, 2, 3])
    const none: number[] = []
    await timed(2, 0, async (i) => {
      none.push(i)
    })
    expect(none.slice(0, 3)).toEqual([0, 1, 2])
    expect(none).toHaveLength(MAX_TIMED_RUNS)
  })
})

describe('machineInfo', () => {
  // first lines of /proc/cpuinfo's flags on an AVX-512 server, an AVX2 one and an Arm one (Features)
  const avx512 = 'processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 avx512f avx512dq avx512bw avx512vl avx512_vnni avx512_bf16\n\nprocessor\t: 1\nflags\t\t: fpu sse2\n'
  const avx2 = 'processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\nflags\t\t: fpu vme sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl cpuid pni pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes xsave avx f16c rdrand hypervisor lahf_lm bmi1 avx2 bmi2\n'
  const arm = 'processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\n'

  it('reads the vector extensions of the first CPU, widest first, and only those', () => {
    expect(simdFlags(avx512)).toEqual(['avx512_bf16', 'avx512_vnni', 'avx512bw', 'avx512f', 'avx2', 'fma', 'f16c', 'avx', 'sse4_1', 'sse2'])
    expect(simdFlags(avx2)).toEqual(['avx2', 'fma', 'f16c', 'avx', 'sse4_1', 'sse2'])
    expect(simdFlags(arm)).toEqual(['asimddp', 'asimdhp', 'asimd'])
    expect(simdFlags('processor\t: 0\n')).toEqual([])
  })

  it("gives this machine's extensions with its CPU (Linux; elsewhere null)", () => {
    const machine = machineInfo()
    if (process.platform !== 'linux') {
      expect(machine.simd).toBeNull()
      return
    }
    expect(machine.simd).toEqual(simdFlags(readFileSync('/proc/cpuinfo', 'utf8')))
    // every x86-64 CPU has SSE2, every 64-bit Arm one Advanced SIMD
    if (process.arch === 'x64') expect(machine.simd).toContain('sse2')
    if (process.arch === 'arm64') expect(machine.simd).toContain('asimd')
  })
})
