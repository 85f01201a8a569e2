/** The seed's own sample rows (DESIGN.md, "The seed's data format"), as the readers must return them. */
import type { Customer, Order } from '../../src/core/types';

/** `1,Hudson Borer,...,Twitter,NE,68883` from customers.csv. */
export const SEED_CUSTOMER: Customer = {
  id: 1,
  name: 'Hudson Borer',
  address: '9611-9809 West Rosedale Road',
  birthDate: '1986-12-12',
  city: 'Wood River',
  createdAt: '2017-10-07T01:34:35.462+05:30',
  email: 'borer-hudson@yahoo.com',
  latitude: 40.71314890000001,
  longitude: -98.5259864,
  password: 'ccca881f-3e4b-4e5c-8336-354103604af6',
  source: 'Twitter',
  state: 'NE',
  zip: '68883',
};

/** `1,2019-02-11T21:40:27.892+05:30,,14,2,37.648145389078365,2.07,39.718145389078366,1` from orders.csv. */
export const SEED_ORDER: Order = {
  id: 1,
  createdAt: '2019-02-11T21:40:27.892+05:30',
  discount: null,
  productId: 14,
  quantity: 2,
  subtotal: 37.648145389078365,
  tax: 2.07,
  total: 39.718145389078366,
  userId: 1,
};
