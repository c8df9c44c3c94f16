// Lint: the recommended rules plus the size limits of shared/STYLE.md (functions ~15 lines,
// 40 at most for logic; modules under ~300 lines). Not type-aware, so `npm run check` stays fast.
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "test-results/", "playwright-report/", "src/protocol.ts"] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      complexity: ["error", 12],
      "max-lines": ["error", { max: 300, skipBlankLines: true, skipComments: true }],
      "max-lines-per-function": ["error", { max: 40, skipBlankLines: true, skipComments: true }],
      "max-depth": ["error", 3],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Views return markup: a function's length is mostly JSX, so the limit is looser there.
    files: ["src/views/**/*.tsx"],
    rules: { "max-lines-per-function": ["error", { max: 60, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ["scripts/**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
  {
    // Test files are lists of cases inside describe() blocks.
    files: ["**/*.test.ts", "e2e/**/*.ts"],
    rules: { "max-lines-per-function": "off" },
  },
);
