import type { WalletView } from '@campusg/contracts';
import { Link } from 'react-router';
import { useWallet } from '../api/queries.ts';
import { EmptyState, QueryState } from '../components/feedback.tsx';
import { PageHead } from '../components/page-head.tsx';
import { money, orderRef, when } from '../lib/format.ts';
import { isRunner, useUser } from '../session.ts';

const KIND: Record<WalletView['transactions'][number]['kind'], { label: string; sign: '+' | '−' | '' }> = {
  HOLD: { label: 'Held on your card', sign: '' },
  HOLD_RELEASED: { label: 'Hold released', sign: '' },
  CHARGE: { label: 'Charged', sign: '−' },
  PAYOUT: { label: 'Payout for delivery', sign: '+' },
};

/** Earnings, money held on the card, and every movement, newest first; refreshed by the stream. */
export function WalletPage() {
  const user = useUser();
  const wallet = useWallet();
  return (
    <>
      <PageHead title="Wallet" subtitle="Sandbox money: nothing real is charged or paid." />
      <QueryState query={wallet} loading="Loading your wallet…">
        {(data) => (
          <>
            <div className="stats">
              <Stat
                label="Earnings"
                value={data.earnedCents}
                note={isRunner(user) ? 'Paid out for your deliveries' : 'Become a runner to earn'}
              />
              <Stat label="On hold" value={data.heldCents} note="Held on your card for open orders" />
              <Stat label="Spent" value={data.spentCents} note="Charged for delivered orders" />
            </div>
            <section className="card" aria-labelledby="tx-title">
              <h2 id="tx-title">Transactions</h2>
              {data.transactions.length === 0 ? (
                <EmptyState title="No transactions yet" icon="💳">
                  <p>Holds, charges and payouts show up here.</p>
                </EmptyState>
              ) : (
                <ul className="ledger" aria-label="Transactions">
                  {data.transactions.map((tx, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: ledger rows have no id in the API; the list is rendered whole
                    <li key={i} className="ledger__row">
                      <div>
                        <p className="ledger__kind">{KIND[tx.kind].label}</p>
                        <p className="muted small">
                          <time dateTime={tx.at}>{when(tx.at)}</time> · order{' '}
                          <Link to={`/orders/${tx.orderId}`}>{orderRef(tx.orderId)}</Link>
                        </p>
                      </div>
                      <span className={`amount amount--${tx.kind.toLowerCase()}`}>
                        {KIND[tx.kind].sign}
                        {money(tx.amountCents)}
                      </span>
                    </li>
                  ))}
                </ul>
              )}
            </section>
          </>
        )}
      </QueryState>
    </>
  );
}

function Stat({ label, value, note }: { label: string; value: number; note: string }) {
  return (
    <div className="stat card">
      <p className="stat__label">{label}</p>
      <p className="stat__value">{money(value)}</p>
      <p className="stat__note muted">{note}</p>
    </div>
  );
}
