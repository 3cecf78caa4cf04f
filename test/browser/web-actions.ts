import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { DESKTOP, PHONE, SHOTS } from './web-harness.ts';

/** What a user does in the web app, step by step, as the browser suite drives it. */

/** Waits until the locator is visible (the page signal), then returns it. */
export async function seen(locator: Locator, timeout = 15_000): Promise<Locator> {
  await locator.first().waitFor({ state: 'visible', timeout });
  return locator;
}

/** With `SCREENSHOTS=1`, saves the page at desktop and phone width as docs/screenshots/<name>-<width>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  const size = page.viewportSize();
  // Browser-side snippets are strings: this file is type-checked without the DOM library.
  await page.evaluate('document.activeElement?.blur(); window.scrollTo(0, 0)');
  for (const [label, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${label}.png`), fullPage: true, animations: 'disabled' });
  }
  if (size) await page.setViewportSize(size);
}

/** The phone layout hides the navigation behind the menu button. */
export async function navigate(page: Page, link: string): Promise<void> {
  const menu = page.getByRole('button', { name: 'Menu' });
  if (await menu.isVisible()) await menu.click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link, exact: true }).click();
}

export async function addCard(page: Page, number: string): Promise<void> {
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiry month').fill('12');
  await page.getByLabel('Expiry year').fill('2031');
  await page.getByLabel('CVC').fill('123');
  await page.getByRole('button', { name: /^Save/ }).click();
  await seen(page.getByText(`ending in ${number.slice(-4)}`));
}

export async function replaceCard(page: Page, number: string): Promise<void> {
  await navigate(page, 'Profile');
  await page.getByRole('button', { name: 'Replace card' }).click();
  await addCard(page, number);
}

/** Fills the new-order form with one or more items and places it; returns the new order's id. */
export async function placeOrder(page: Page, store: string, items: [string, string, string][]): Promise<string> {
  await navigate(page, 'New order');
  await page.getByLabel('Store name').fill(store);
  await page.getByLabel('Store location').fill('SMU Connexion L1');
  for (const [i, [name, qty, price]] of items.entries()) {
    if (i > 0) await page.getByRole('button', { name: '+ Add item' }).click();
    await page.getByLabel(`Item ${i + 1} name`).fill(name);
    await page.getByLabel(`Item ${i + 1} quantity`).fill(qty);
    await page.getByLabel(`Item ${i + 1} price`).fill(price);
  }
  await page.getByLabel('Building').fill('SCIS 1');
  await page.getByLabel('Room').fill('GSR 2-4');
  await seen(page.getByText('Ready to order.'));
  await page.getByRole('button', { name: /^Place order/ }).click();
  await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
  return page.url().split('/').pop()!;
}

/** Searches My orders for store or item names. */
export async function searchOrders(page: Page, text: string): Promise<void> {
  await page.getByLabel('Search store or item').fill(text);
  await page.getByRole('button', { name: 'Search' }).click();
}

/** Saves the profile's phone (the profile form is open). */
export async function savePhone(page: Page, phone: string): Promise<void> {
  await page.getByLabel('Phone').fill(phone);
  await page.getByRole('button', { name: 'Save profile' }).click();
}

/** Rates the other party of the completed order on screen. */
export async function rate(page: Page, stars: number, comment?: string): Promise<void> {
  await page.getByRole('radio', { name: `${stars} star${stars === 1 ? '' : 's'}` }).click();
  if (comment) await page.getByLabel('Comment (optional)').fill(comment);
  await page.getByRole('button', { name: 'Send rating' }).click();
}

/** The runner gives the order on screen back, confirming it. */
export async function giveBack(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Give order back' }).click();
  await page.getByRole('dialog', { name: 'Give this order back?' }).getByRole('button', { name: 'Yes, give it back' }).click();
}

/** Saves a payout account number (the payout form is open). */
export async function savePayoutAccount(page: Page, accountNumber: string): Promise<void> {
  await page.getByLabel('Bank account number').fill(accountNumber);
  await page.getByRole('button', { name: 'Save payout account' }).click();
}
