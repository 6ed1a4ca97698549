import { Link } from 'react-router';
import { useDocumentTitle } from '../lib/hooks';
import { Card, EmptyState, PageHeader } from '../components/ui';

export function NotFoundPage() {
  useDocumentTitle('Not found');
  return (
    <div className="page">
      <PageHeader title="Page not found" />
      <Card>
        <EmptyState icon="?" title="This page does not exist" action={<Link className="button button--primary" to="/datasets">Go to datasets</Link>}>
          The address may be mistyped, or the page moved.
        </EmptyState>
      </Card>
    </div>
  );
}
