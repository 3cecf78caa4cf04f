/** Invalid bodies of `POST /api/orders`, one field wrong each, with the path the 400 must name. */

const long = (n: number) => 'a'.repeat(n);
const item = (i: number) => ({ name: `Item ${i}`, quantity: 1, priceCents: 100 });

/** `[what, mutate the sample body, the error path]`. */
export const invalidOrderBodies: [string, (b: any) => void, string][] = [
  [
    'no items',
    (b) => {
      b.items = [];
    },
    'items',
  ],
  [
    '51 items',
    (b) => {
      b.items = Array.from({ length: 51 }, (_, i) => item(i));
    },
    'items',
  ],
  [
    'items that is not an array',
    (b) => {
      b.items = { name: 'x', quantity: 1, priceCents: 1 };
    },
    'items',
  ],
  [
    'an item that is not an object',
    (b) => {
      b.items[1] = 'Chicken rice';
    },
    'items[1]',
  ],
  [
    'quantity 0',
    (b) => {
      b.items[0].quantity = 0;
    },
    'items[0].quantity',
  ],
  [
    'quantity 100',
    (b) => {
      b.items[1].quantity = 100;
    },
    'items[1].quantity',
  ],
  [
    'quantity 1.5',
    (b) => {
      b.items[0].quantity = 1.5;
    },
    'items[0].quantity',
  ],
  [
    'quantity "2"',
    (b) => {
      b.items[0].quantity = '2';
    },
    'items[0].quantity',
  ],
  [
    'quantity -1',
    (b) => {
      b.items[0].quantity = -1;
    },
    'items[0].quantity',
  ],
  [
    'quantity null',
    (b) => {
      b.items[0].quantity = null;
    },
    'items[0].quantity',
  ],
  [
    'a missing quantity',
    (b) => {
      delete b.items[0].quantity;
    },
    'items[0].quantity',
  ],
  [
    'priceCents -1',
    (b) => {
      b.items[0].priceCents = -1;
    },
    'items[0].priceCents',
  ],
  [
    'priceCents 100001',
    (b) => {
      b.items[1].priceCents = 100001;
    },
    'items[1].priceCents',
  ],
  [
    'priceCents 4.5',
    (b) => {
      b.items[0].priceCents = 4.5;
    },
    'items[0].priceCents',
  ],
  [
    'priceCents "450"',
    (b) => {
      b.items[0].priceCents = '450';
    },
    'items[0].priceCents',
  ],
  [
    'a missing priceCents',
    (b) => {
      delete b.items[0].priceCents;
    },
    'items[0].priceCents',
  ],
  [
    'an empty item name',
    (b) => {
      b.items[0].name = '';
    },
    'items[0].name',
  ],
  [
    'an item name of 101 characters',
    (b) => {
      b.items[1].name = long(101);
    },
    'items[1].name',
  ],
  [
    'a missing item name',
    (b) => {
      delete b.items[0].name;
    },
    'items[0].name',
  ],
  [
    'deliveryFeeCents 99',
    (b) => {
      b.deliveryFeeCents = 99;
    },
    'deliveryFeeCents',
  ],
  [
    'deliveryFeeCents 5001',
    (b) => {
      b.deliveryFeeCents = 5001;
    },
    'deliveryFeeCents',
  ],
  [
    'deliveryFeeCents 300.5',
    (b) => {
      b.deliveryFeeCents = 300.5;
    },
    'deliveryFeeCents',
  ],
  [
    'deliveryFeeCents "300"',
    (b) => {
      b.deliveryFeeCents = '300';
    },
    'deliveryFeeCents',
  ],
  [
    'a missing deliveryFeeCents',
    (b) => {
      delete b.deliveryFeeCents;
    },
    'deliveryFeeCents',
  ],
  [
    'an empty store name',
    (b) => {
      b.store.name = '';
    },
    'store.name',
  ],
  [
    'a store name of 101 characters',
    (b) => {
      b.store.name = long(101);
    },
    'store.name',
  ],
  [
    'an empty store location',
    (b) => {
      b.store.location = '';
    },
    'store.location',
  ],
  [
    'a store location of 201 characters',
    (b) => {
      b.store.location = long(201);
    },
    'store.location',
  ],
  [
    'a missing store location',
    (b) => {
      delete b.store.location;
    },
    'store.location',
  ],
  [
    'a missing store',
    (b) => {
      delete b.store;
    },
    'store',
  ],
  [
    'a store that is a string',
    (b) => {
      b.store = 'Koufu';
    },
    'store',
  ],
  [
    'an empty building',
    (b) => {
      b.deliveryLocation.building = '';
    },
    'deliveryLocation.building',
  ],
  [
    'a building of 101 characters',
    (b) => {
      b.deliveryLocation.building = long(101);
    },
    'deliveryLocation.building',
  ],
  [
    'an empty room',
    (b) => {
      b.deliveryLocation.room = '';
    },
    'deliveryLocation.room',
  ],
  [
    'a room of 51 characters',
    (b) => {
      b.deliveryLocation.room = long(51);
    },
    'deliveryLocation.room',
  ],
  [
    'a missing room',
    (b) => {
      delete b.deliveryLocation.room;
    },
    'deliveryLocation.room',
  ],
  [
    'a missing deliveryLocation',
    (b) => {
      delete b.deliveryLocation;
    },
    'deliveryLocation',
  ],
  [
    'a null deliveryLocation',
    (b) => {
      b.deliveryLocation = null;
    },
    'deliveryLocation',
  ],
  [
    'instructions of 201 characters',
    (b) => {
      b.instructions = long(201);
    },
    'instructions',
  ],
  [
    'instructions that are a number',
    (b) => {
      b.instructions = 5;
    },
    'instructions',
  ],
];
