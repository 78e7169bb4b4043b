import type { Locator } from 'playwright-core';

/** The text of each body row's cells, header row left out. */
export function rowsOf(table: Locator): Promise<string[][]> {
  return table.evaluate((element) =>
    [...(element as HTMLTableElement).tBodies]
      .flatMap((body) => [...body.rows])
      .map((row) => [...row.cells].map((cell) => (cell.textContent ?? '').trim())),
  );
}

/** The column headers' text. */
export function headersOf(table: Locator): Promise<string[]> {
  return table.evaluate((element) =>
    [...((element as HTMLTableElement).tHead?.rows[0]?.cells ?? [])].map((cell) =>
      (cell.textContent ?? '').trim(),
    ),
  );
}
