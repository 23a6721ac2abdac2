/** The UI's pages: each screen is its own chunk, loaded when its route is first opened. */
import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from 'react';
import { createBrowserRouter, Navigate } from 'react-router-dom';
import { AppShell } from './shell/AppShell';
import { Loading } from './components/Loading';

const screens = {
  catalog: lazy(() => import('./screens/CatalogPage')),
  catalogImage: lazy(() => import('./screens/CatalogImagePage')),
  login: lazy(() => import('./screens/LoginPage')),
  signUp: lazy(() => import('./screens/SignUpPage')),
  confirm: lazy(() => import('./screens/ConfirmPage')),
  forgotPassword: lazy(() => import('./screens/ForgotPasswordPage')),
  resetPassword: lazy(() => import('./screens/ResetPasswordPage')),
  tokens: lazy(() => import('./screens/TokensPage')),
  // Partner onboarding and the company.
  welcome: lazy(() => import('./screens/company/WelcomePage')),
  myCompany: lazy(() => import('./screens/company/MyCompanyPage')),
  companyDashboard: lazy(() => import('./screens/company/CompanyDashboardPage')),
  becomePartner: lazy(() => import('./screens/company/BecomePartnerPage')),
  companyUsers: lazy(() => import('./screens/company/CompanyUsersPage')),
  joinRequests: lazy(() => import('./screens/company/JoinRequestsPage')),
  acceptInvitation: lazy(() => import('./screens/company/AcceptInvitationPage')),
  profile: lazy(() => import('./screens/company/ProfilePage')),
  // Zones, products, software access, export compliance.
  zones: lazy(() => import('./screens/zones/ZonesPage')),
  zone: lazy(() => import('./screens/zones/ZonePage')),
  products: lazy(() => import('./screens/products/ProductsPage')),
  productNew: lazy(() => import('./screens/products/ProductNewPage')),
  product: lazy(() => import('./screens/products/ProductPage')),
  software: lazy(() => import('./screens/software/SoftwarePage')),
  downloads: lazy(() => import('./screens/software/DownloadsPage')),
  compliance: lazy(() => import('./screens/compliance/CompliancePage')),
  questionnaire: lazy(() => import('./screens/compliance/QuestionnairePage')),
  // Certification projects, their images and the policy.
  projects: lazy(() => import('./screens/projects/ProjectsPage')),
  project: lazy(() => import('./screens/projects/ProjectPage')),
  image: lazy(() => import('./screens/projects/ImagePage')),
  build: lazy(() => import('./screens/projects/BuildPage')),
  policy: lazy(() => import('./screens/projects/PolicyPage')),
  // Program staff.
  workQueue: lazy(() => import('./screens/staff/WorkQueuePage')),
  staffCompanies: lazy(() => import('./screens/staff/CompaniesPage')),
  staffZones: lazy(() => import('./screens/staff/StaffZonesPage')),
  staffZone: lazy(() => import('./screens/staff/StaffZonePage')),
  vulnData: lazy(() => import('./screens/staff/VulnDataPage')),
  outbox: lazy(() => import('./screens/staff/OutboxPage')),
  mail: lazy(() => import('./screens/staff/MailPage')),
  audit: lazy(() => import('./screens/staff/AuditPage')),
  zoneRequest: lazy(() => import('./screens/staff/ZoneRequestPage')),
  notFound: lazy(() => import('./screens/NotFoundPage')),
};

/** A lazily loaded screen with the loading state while its chunk arrives. */
function screen(Screen: LazyExoticComponent<ComponentType>) {
  return (
    <Suspense fallback={<Loading />}>
      <Screen />
    </Suspense>
  );
}

/** Every client route; the server answers index.html for them (SPA fallback). */
export const router = createBrowserRouter([
  {
    element: <AppShell />,
    children: [
      { index: true, element: <Navigate to="/catalog" replace /> },
      { path: 'catalog', element: screen(screens.catalog) },
      { path: 'catalog/:id', element: screen(screens.catalogImage) },
      { path: 'login', element: screen(screens.login) },
      { path: 'signup', element: screen(screens.signUp) },
      // The paths of the links in Hallmark's e-mails (src/modules/accounts/accounts.ts).
      { path: 'confirm', element: screen(screens.confirm) },
      { path: 'forgot-password', element: screen(screens.forgotPassword) },
      { path: 'reset-password', element: screen(screens.resetPassword) },
      { path: 'tokens', element: screen(screens.tokens) },
      { path: 'profile', element: screen(screens.profile) },
      { path: 'welcome', element: screen(screens.welcome) },
      { path: 'accept-invitation', element: screen(screens.acceptInvitation) },
      { path: 'company', element: screen(screens.myCompany) },
      { path: 'companies/:id', element: screen(screens.companyDashboard) },
      { path: 'companies/:id/become-partner', element: screen(screens.becomePartner) },
      { path: 'companies/:id/users', element: screen(screens.companyUsers) },
      { path: 'companies/:id/join-requests', element: screen(screens.joinRequests) },
      { path: 'zones', element: screen(screens.zones) },
      { path: 'zones/:id', element: screen(screens.zone) },
      { path: 'products', element: screen(screens.products) },
      { path: 'products/new', element: screen(screens.productNew) },
      { path: 'products/:id', element: screen(screens.product) },
      { path: 'software', element: screen(screens.software) },
      { path: 'downloads', element: screen(screens.downloads) },
      { path: 'export-compliance', element: screen(screens.compliance) },
      { path: 'export-compliance/:id', element: screen(screens.questionnaire) },
      { path: 'projects', element: screen(screens.projects) },
      // Tabs: checklist (default), registry, images, build-service, settings.
      { path: 'projects/:id/:tab?', element: screen(screens.project) },
      { path: 'images/:id', element: screen(screens.image) },
      // One build of the Build Service: its state and its log, live.
      { path: 'builds/:id', element: screen(screens.build) },
      // The policy text each scan result links (`/policy/<id>#<assessment>`).
      { path: 'policy/:policy?', element: screen(screens.policy) },
      { path: 'staff', element: screen(screens.workQueue) },
      { path: 'staff/companies', element: screen(screens.staffCompanies) },
      { path: 'staff/zones', element: screen(screens.staffZones) },
      { path: 'staff/zones/:id', element: screen(screens.staffZone) },
      { path: 'staff/vulndb', element: screen(screens.vulnData) },
      { path: 'staff/mail', element: screen(screens.outbox) },
      { path: 'staff/mail/:id', element: screen(screens.mail) },
      { path: 'staff/audit', element: screen(screens.audit) },
      { path: 'zone-requests/:id', element: screen(screens.zoneRequest) },
      // Staff e-mails about software requests link these; they are worked in the queue.
      { path: 'software-requests', element: screen(screens.workQueue) },
      { path: 'software-requests/:id', element: screen(screens.workQueue) },
      { path: '*', element: screen(screens.notFound) },
    ],
  },
]);
