import type { OrderPerson } from '@campusg/contracts';

/** "★ 4.5 (12)" or "No ratings yet". */
export function ratingText(rating: OrderPerson['rating']): string {
  return rating.average === null ? 'No ratings yet' : `★ ${rating.average.toFixed(1)} (${rating.count})`;
}

/** A party to an order: name, rating, and the phone when the order shows it (the counterpart, while active). */
export function Person({ person }: { person: OrderPerson }) {
  return (
    <span className="person">
      <span className="person__name">{person.name}</span>{' '}
      <span className="person__rating muted">
        <span className="visually-hidden">Rating: </span>
        {ratingText(person.rating)}
      </span>
      {person.phone && (
        <a className="person__phone" href={`tel:${person.phone.replace(/[\s-]/g, '')}`}>
          {person.phone}
        </a>
      )}
    </span>
  );
}
