import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src-main/**/*.test.ts', 'src-shared/**/*.test.ts', 'src-renderer/**/*.test.{ts,tsx}', 'models/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // two cores: keep heavy ONNX and Python tests from fighting over them
    fileParallelism: false,
  },
})
