// The people the browser tests sign in as: e2e/serve.sh adds them before the server starts,
// e2e/sign-in.setup.ts signs each in once and keeps its cookie in a storage state file.
export const PASSWORD = "e2e-password-not-secret";

export const PEOPLE = {
  e2e: "admin", // every test's default (playwright.config.ts)
  alice: "operator",
  bob: "operator",
  kim: "operator",
  vic: "viewer",
} as const;

export type Person = keyof typeof PEOPLE;

export const stateOf = (name: Person) => `test-results/.auth/${name}.json`;
