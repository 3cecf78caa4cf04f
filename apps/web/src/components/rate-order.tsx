import type { Order, RatingView } from '@campusg/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../api/client.ts';
import { isApiError } from '../api/http.ts';
import { keys } from '../api/queries.ts';
import { sentence } from '../lib/format.ts';
import { describeError, Notice } from './feedback.tsx';
import { TextField } from './field.tsx';

const STARS = [1, 2, 3, 4, 5] as const;

/**
 * Once the order is completed, its customer rates the runner and its runner rates the customer:
 * one to five stars and an optional comment, once.
 */
export function RateOrder({ order, as }: { order: Order; as: 'customer' | 'runner' }) {
  const queryClient = useQueryClient();
  const [stars, setStars] = useState(0);
  const [comment, setComment] = useState('');
  const rate = useMutation({
    mutationFn: () => api.orders.rate(order.id, { stars, ...(comment.trim() ? { comment } : {}) }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.order(order.id) }),
  });
  const other = as === 'customer' ? order.runner : order.customer;
  if (!other) return null;
  if (rate.isSuccess || isApiError(rate.error, 'ALREADY_RATED')) {
    return <Thanks rated={rate.data} name={other.name} />;
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (stars > 0) rate.mutate();
  };
  const fieldError = isApiError(rate.error) ? rate.error.fields.comment : undefined;
  return (
    <form className="form rate" onSubmit={submit} aria-labelledby="rate-title">
      <h3 id="rate-title">Rate {other.name}</h3>
      <div className="stars" role="radiogroup" aria-label="Stars">
        {STARS.map((n) => (
          // biome-ignore lint/a11y/useSemanticElements: a row of star buttons reads better than radio inputs
          <button
            key={n}
            type="button"
            role="radio"
            aria-checked={stars === n}
            aria-label={`${n} star${n === 1 ? '' : 's'}`}
            className="stars__star"
            onClick={() => setStars(n)}
          >
            {n <= stars ? '★' : '☆'}
          </button>
        ))}
      </div>
      <TextField
        label="Comment (optional)"
        value={comment}
        maxLength={200}
        onChange={(e) => setComment(e.target.value)}
        error={fieldError ? sentence(fieldError) : undefined}
      />
      {rate.error && !fieldError && (
        <Notice tone="danger" alert>
          {describeError(rate.error)}
        </Notice>
      )}
      <button type="submit" className="button" disabled={stars === 0 || rate.isPending}>
        {rate.isPending ? 'Sending…' : 'Send rating'}
      </button>
    </form>
  );
}

function Thanks({ rated, name }: { rated: RatingView | undefined; name: string }) {
  return (
    <Notice tone="success" alert>
      {rated ? `Thanks! You gave ${name} ${rated.stars} star${rated.stars === 1 ? '' : 's'}.` : `You have rated ${name} for this order.`}
    </Notice>
  );
}
