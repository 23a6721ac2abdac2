/** Placeholder: this screen is being built. */
import { NotFound } from '../../components/NotFound';

/** Not built yet. */
export default function StaffZonesPage() {
  return <NotFound title="Not built yet" detail="This screen is being built." />;
}
