/**
 * What the sinks can store, in one place: validation refuses any value beyond these, so a record that passes
 * can always be written (Cassandra's `int` columns, MySQL's DATE range) and no sum we keep can overflow.
 */

/** Cassandra `int` (Product ID, Quantity, User ID in the raw-order tables). */
export const INT32_MAX = 2_147_483_647;

/**
 * The largest money amount one order may carry (Subtotal, Tax, Total, Discount). A trillion is far above any
 * real order, and it keeps every sum finite: MySQL's DOUBLE overflows near 1.8e308, which would take 1e296
 * orders at this cap. (Without a cap, two orders of 1e308 in one group sum to Infinity and the commit fails.)
 */
export const MAX_AMOUNT = 1e12;

/** Years an order's Created At may name: MySQL's DATE range (sales_daily.day), 1000-01-01 to 9999-12-31. */
export const MIN_YEAR = 1000;
export const MAX_YEAR = 9999;

/**
 * The longest date range one backfill may cover: 100 years, i.e. 1,200 monthly activities in one workflow
 * history (Temporal's limit is 51,200 events). Longer recomputations run as several backfills.
 */
export const MAX_BACKFILL_DAYS = 36_525;
