/** The seed's data model, as plain data. */

export interface Order {
  id: number;
  /** ISO-8601 with its own offset, kept exactly as written: the event day is the date it names. */
  createdAt: string;
  /** null when the order had no discount (an empty cell in the CSV, NaN/null on the wire). */
  discount: number | null;
  productId: number;
  quantity: number;
  subtotal: number;
  tax: number;
  total: number;
  userId: number;
}

export interface Customer {
  id: number;
  name: string;
  address: string;
  birthDate: string;
  city: string;
  createdAt: string;
  email: string;
  /** null when the cell is empty. */
  latitude: number | null;
  longitude: number | null;
  /** Read from the CSV (the seed has the column) and written back by the writers, but never stored. */
  password: string;
  source: string;
  state: string;
  /** Kept as text: zip codes may have leading zeros. */
  zip: string;
}

export interface Product {
  id: number;
  category: string;
  createdAt: string;
  /** Kept as text: a 13-digit EAN is a code, not a quantity. */
  ean: string;
  price: number;
  rating: number;
  title: string;
  vendor: string;
}

export const SOURCES = ['Organic', 'Affiliate', 'Facebook', 'Google', 'Twitter'] as const;
export type Source = (typeof SOURCES)[number];

/** The 50 states and DC, by USPS code. */
// biome-ignore format: a compact table reads better than 51 lines
export const US_STATES = [
  'AL', 'AK', 'AZ', 'AR', 'CA', 'CO', 'CT', 'DE', 'FL', 'GA', 'HI', 'ID', 'IL', 'IN', 'IA', 'KS', 'KY', 'LA', 'ME',
  'MD', 'MA', 'MI', 'MN', 'MS', 'MO', 'MT', 'NE', 'NV', 'NH', 'NJ', 'NM', 'NY', 'NC', 'ND', 'OH', 'OK', 'OR', 'PA',
  'RI', 'SC', 'SD', 'TN', 'TX', 'UT', 'VT', 'VA', 'WA', 'WV', 'WI', 'WY', 'DC',
] as const;
export type UsState = (typeof US_STATES)[number];

/** The seed's CSV headers, column for column; the wire format's JSON keys are ORDER_COLUMNS in this order. */
// biome-ignore format: one line per header, as in the file
export const ORDER_COLUMNS = [
  'ID', 'Created At', 'Discount', 'Product ID', 'Quantity', 'Subtotal', 'Tax', 'Total', 'User ID',
] as const;
// biome-ignore format: one line per header, as in the file
export const CUSTOMER_COLUMNS = [
  'ID', 'Name', 'Address', 'Birth Date', 'City', 'Created At', 'Email', 'Latitude', 'Longitude', 'Password', 'Source',
  'State', 'Zip',
] as const;
export const PRODUCT_COLUMNS = [
  'ID',
  'Category',
  'Created At',
  'Ean',
  'Price',
  'Rating',
  'Title',
  'Vendor',
] as const;
