import { Card } from './ui';
import { formatDateTime, formatMoney } from '../lib/format';
import type { CostRecord } from '../lib/types';

/**
 * What the model cost in all: its job's GPU time plus its storage line, from the job's cost records (the
 * bills themselves). Until the records are written (they follow the events by a moment) the training cost
 * comes from the model's summary and the storage line says it is still to come.
 */
export function ModelCost({ trainingCost, records }: { trainingCost: number | null; records: CostRecord[] | undefined }) {
  const compute = records?.find((r) => r.cost_type === 'training_compute');
  const storage = records?.find((r) => r.cost_type === 'storage');
  const computeAmount = compute?.amount ?? trainingCost;
  const total = (computeAmount ?? 0) + (storage?.amount ?? 0);
  const oneOff = storage?.details?.one_off !== false;
  return (
    <Card title="Cost" description="What training and storing this model cost, as billed." testId="model-cost-card">
      <dl className="cost-lines">
        <div>
          <dt>Training (GPU time)</dt>
          <dd data-testid="model-cost-compute">{computeAmount === null ? '—' : formatMoney(computeAmount)}</dd>
        </div>
        <div>
          <dt>
            Storage{' '}
            <span className="muted small" data-testid="model-cost-storage-kind">
              {storage
                ? oneOff
                  ? `one-off, billed once on ${formatDateTime(storage.recorded_at)}; no monthly fee`
                  : 'billed each month while the model is kept'
                : 'one-off, billed when the model is stored'}
            </span>
          </dt>
          <dd data-testid="model-cost-storage">{storage ? formatMoney(storage.amount) : 'not billed yet'}</dd>
        </div>
        <div className="cost-lines__total">
          <dt>Total</dt>
          <dd data-testid="model-cost">{computeAmount === null && !storage ? '—' : formatMoney(total)}</dd>
        </div>
      </dl>
    </Card>
  );
}
