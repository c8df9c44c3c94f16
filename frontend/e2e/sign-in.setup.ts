// Signs every person of people.ts in through the API and keeps each session cookie.
import { expect, test as setup } from "@playwright/test";
import { PASSWORD, PEOPLE, stateOf, type Person } from "./people";

for (const name of Object.keys(PEOPLE) as Person[]) {
  setup(`sign in as ${name}`, async ({ request }) => {
    const response = await request.post("/api/session", { data: { name, password: PASSWORD } });
    expect(response.status()).toBe(200);
    expect(await response.json()).toEqual({ name, role: PEOPLE[name], via: "ui" });
    await request.storageState({ path: stateOf(name) });
  });
}
