/** A path the UI has no page for. */
import { NotFound } from '../components/NotFound';

/** "Page not found" with a way back to the catalog. */
export default function NotFoundPage() {
  return <NotFound />;
}
