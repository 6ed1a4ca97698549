import { formatMoney } from '../lib/format';
import type { Budget } from '../lib/types';

const toneOf: Record<string, string> = { ok: '#059669', warning: '#d97706', exceeded: '#dc2626', none: '#9ca3af' };

/** A half-circle gauge of this month's use against the monthly limit. */
export function BudgetGauge({ budget }: { budget: Budget }) {
  const percent = budget.percent_used ?? 0;
  const shown = Math.max(0, Math.min(100, percent));
  const radius = 80;
  const circumference = Math.PI * radius;
  const color = toneOf[budget.status] ?? toneOf.none;
  const label =
    budget.monthly_limit === null
      ? `No monthly limit; ${formatMoney(budget.used)} used this month`
      : `${percent.toFixed(0)}% of the ${formatMoney(budget.monthly_limit)} monthly limit used`;
  return (
    <div className="gauge" role="img" aria-label={label} data-testid="budget-gauge" data-status={budget.status}>
      <svg viewBox="0 0 200 112" className="gauge__svg" aria-hidden="true" focusable="false">
        <path d="M20 100 A80 80 0 0 1 180 100" fill="none" stroke="#e5e7eb" strokeWidth="18" strokeLinecap="round" />
        {budget.monthly_limit !== null && (
          <path
            d="M20 100 A80 80 0 0 1 180 100"
            fill="none"
            stroke={color}
            strokeWidth="18"
            strokeLinecap="round"
            strokeDasharray={`${(shown / 100) * circumference} ${circumference}`}
          />
        )}
        <text x="100" y="86" textAnchor="middle" className="gauge__value">
          {budget.monthly_limit === null ? formatMoney(budget.used) : `${percent.toFixed(0)}%`}
        </text>
        <text x="100" y="106" textAnchor="middle" className="gauge__caption">
          {budget.monthly_limit === null ? 'used, no limit' : `of ${formatMoney(budget.monthly_limit)}`}
        </text>
      </svg>
    </div>
  );
}
