/** `/company`: the user's company dashboard, or finding a company for a user without one. */
import { Navigate } from 'react-router-dom';
import { RequireSession } from '../../components/RequireSession';

/** Redirects to where "my company" is. */
export default function MyCompanyPage() {
  return (
    <RequireSession>
      {(user) => (
        <Navigate
          to={
            user.companyId !== null
              ? `/companies/${user.companyId}`
              : user.staff
                ? '/staff/companies'
                : '/welcome'
          }
          replace
        />
      )}
    </RequireSession>
  );
}
