// The operator journey at a phone, a tablet, a laptop and a wall-screen size, against the real backend: launch
// from the form, answer the three prompts of station/test_setup.py, see the verdict, open the
// results. At every stop nothing overflows the viewport sideways, and on the two touch sizes
// every control is at least 44 px. Screenshots go to E2E_SCREENS_DIR (docs/screens keeps a set).
import { expect, test, type Page } from "@playwright/test";
import { clippedLabels, isCoveredByToast, overflowing, smallTargets } from "./layout";

const SHOTS = process.env.E2E_SCREENS_DIR ?? "test-results/screenshots";
const SIZES = [
  { width: 390, height: 844 },
  { width: 768, height: 1024 },
  { width: 1280, height: 800 },
  { width: 2560, height: 1440 },
];

const modal = (page: Page) => page.getByTestId("prompt-modal");

async function holds(page: Page, where: string, isTouch: boolean): Promise<void> {
  expect(await overflowing(page), `${where}: overflow`).toEqual([]);
  expect(await clippedLabels(page), `${where}: labels cut`).toEqual([]);
  if (isTouch) expect(await smallTargets(page), `${where}: touch targets`).toEqual([]);
}

async function answerPrompts(page: Page, shot: (name: string) => Promise<unknown>, check: (where: string) => Promise<void>): Promise<void> {
  await expect(modal(page)).toHaveAttribute("data-prompt-type", "confirm");
  await expect(modal(page)).toHaveAttribute("data-armed", "true");
  await check("confirm prompt");
  await shot("prompt");
  await page.getByRole("button", { name: "Confirm" }).click();
  await expect(modal(page)).toHaveAttribute("data-prompt-type", "choice");
  await page.getByRole("radio", { name: "bench_02" }).check();
  await check("choice prompt");
  await page.getByRole("button", { name: "Submit" }).click();
  const field = page.getByLabel("Answer");
  await expect(field).toHaveValue("25");
  await expect(page.getByTestId("prompt-range")).toHaveText("A number from -40 to 125");
  await field.fill("21");
  await field.press("Enter");
  await expect(modal(page)).toHaveCount(0);
}

for (const size of SIZES) {
  test.describe(`at ${size.width}x${size.height}`, () => {
    test.use({ viewport: size });
    const isNarrow = size.width < 900;
    const isTouch = isNarrow;
    const shot = (page: Page) => (name: string) => page.screenshot({ path: `${SHOTS}/${name}-${size.width}.png` });

    test("the operator journey fits the screen from launch to results", async ({ page }) => {
      const check = (where: string) => holds(page, where, isTouch);
      await page.goto("/launch?station=ST-04&operator=alice");
      await expect(page.getByLabel("Test Path")).toBeEnabled();
      await check("launch");
      await shot(page)("launch");
      await page.getByLabel("Test Path").selectOption("station/test_setup.py");
      await page.getByLabel(/UUT Serial/).fill(`SCR-${size.width}`);
      await page.getByRole("button", { name: "Start Test" }).click();
      await page.waitForURL(/\/live\/[^/]+$/);

      await answerPrompts(page, shot(page), check);
      await expect(page.getByTestId("verdict-word")).toHaveText("PASSED", { timeout: 30_000 });
      await expect(page.getByTestId("counts")).toContainText("1/1 steps");
      await check("live, passed");
      expect(await isCoveredByToast(page, "[data-testid=verdict]")).toBe(false);
      await shot(page)("live");

      if (isNarrow) {
        await page.getByRole("button", { name: "Menu" }).click();
        await check("drawer");
        await shot(page)("drawer");
      }
      await page.getByRole("link", { name: "Results", exact: true }).click();
      await expect(page.getByTestId("history")).toContainText(`SCR-${size.width}`);
      await check("results");
      await shot(page)("results");

      await page.getByTestId("history").getByRole("link", { name: `SCR-${size.width}` }).click();
      await expect(page.getByTestId("serial")).toHaveText(`SCR-${size.width}`);
      await expect(page.getByTestId("prompts").locator("tbody tr")).toHaveCount(3);
      await check("result detail");
      await shot(page)("result");
    });
  });
}
