import { describe, expect, it } from 'vitest';
import {
  SparseColumn,
  float64Page,
  int32Page,
  sparsePageSlots,
} from '../../tree/sparse-column.js';

describe('SparseColumn', () => {
  it.each([
    ['a constant default', 0],
    ['a negative constant default', -1],
  ])('reads %s until a slot differs, then keeps one page', (_name, constant) => {
    const column = new SparseColumn(int32Page, constant);
    expect(column.get(5)).toBe(constant);
    column.set(5, constant);
    expect(column.pageCount).toBe(0);
    column.set(sparsePageSlots + 3, 42);
    expect(column.pageCount).toBe(1);
    expect(column.get(sparsePageSlots + 3)).toBe(42);
    // The page's other slots still read the default, and its neighbours hold no page.
    expect(column.get(sparsePageSlots)).toBe(constant);
    expect(column.get(2 * sparsePageSlots - 1)).toBe(constant);
    expect(column.get(5)).toBe(constant);
    column.set(sparsePageSlots + 3, constant);
    expect(column.get(sparsePageSlots + 3)).toBe(constant);
  });

  it('follows its base column until written, then keeps the written value', () => {
    let base = new Float64Array(2 * sparsePageSlots);
    base[7] = 2 ** 40 + 1;
    base[8] = 9;
    const column = new SparseColumn(float64Page, 0, () => base);
    expect(column.get(7)).toBe(2 ** 40 + 1);
    column.set(7, 2 ** 40 + 1);
    expect(column.pageCount).toBe(0);
    column.set(8, 2 ** 41);
    expect(column.pageCount).toBe(1);
    expect(column.get(8)).toBe(2 ** 41);
    // The page was filled from the base, so slot 7 reads as before.
    expect(column.get(7)).toBe(2 ** 40 + 1);
    // A grown base is read through the accessor.
    const grown = new Float64Array(4 * sparsePageSlots);
    grown.set(base);
    grown[3 * sparsePageSlots] = 77;
    base = grown;
    expect(column.get(3 * sparsePageSlots)).toBe(77);
    column.clear();
    expect(column.pageCount).toBe(0);
    expect(column.get(8)).toBe(9);
  });
});
