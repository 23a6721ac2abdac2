/** The UI's pages: each screen is its own chunk, loaded when its route is first opened. */
import { createBrowserRouter, Navigate } from 'react-router-dom';
import { lazyScreen, type LazyScreen } from './lazyScreen';
import { AppShell } from './shell/AppShell';

export const screens = {
  catalog: lazyScreen(() => import('./screens/CatalogPage')),
  catalogImage: lazyScreen(() => import('./screens/CatalogImagePage')),
  login: lazyScreen(() => import('./screens/LoginPage')),
  signUp: lazyScreen(() => import('./screens/SignUpPage')),
  confirm: lazyScreen(() => import('./screens/ConfirmPage')),
  forgotPassword: lazyScreen(() => import('./screens/ForgotPasswordPage')),
  resetPassword: lazyScreen(() => import('./screens/ResetPasswordPage')),
  tokens: lazyScreen(() => import('./screens/TokensPage')),
  // Partner onboarding and the company.
  welcome: lazyScreen(() => import('./screens/company/WelcomePage')),
  myCompany: lazyScreen(() => import('./screens/company/MyCompanyPage')),
  companyDashboard: lazyScreen(() => import('./screens/company/CompanyDashboardPage')),
  becomePartner: lazyScreen(() => import('./screens/company/BecomePartnerPage')),
  companyUsers: lazyScreen(() => import('./screens/company/CompanyUsersPage')),
  joinRequests: lazyScreen(() => import('./screens/company/JoinRequestsPage')),
  acceptInvitation: lazyScreen(() => import('./screens/company/AcceptInvitationPage')),
  profile: lazyScreen(() => import('./screens/company/ProfilePage')),
  // Zones, products, software access, export compliance.
  zones: lazyScreen(() => import('./screens/zones/ZonesPage')),
  zone: lazyScreen(() => import('./screens/zones/ZonePage')),
  products: lazyScreen(() => import('./screens/products/ProductsPage')),
  productNew: lazyScreen(() => import('./screens/products/ProductNewPage')),
  product: lazyScreen(() => import('./screens/products/ProductPage')),
  software: lazyScreen(() => import('./screens/software/SoftwarePage')),
  downloads: lazyScreen(() => import('./screens/software/DownloadsPage')),
  compliance: lazyScreen(() => import('./screens/compliance/CompliancePage')),
  questionnaire: lazyScreen(() => import('./screens/compliance/QuestionnairePage')),
  // Certification projects, their images and the policy.
  projects: lazyScreen(() => import('./screens/projects/ProjectsPage')),
  project: lazyScreen(() => import('./screens/projects/ProjectPage')),
  image: lazyScreen(() => import('./screens/projects/ImagePage')),
  build: lazyScreen(() => import('./screens/projects/BuildPage')),
  policy: lazyScreen(() => import('./screens/projects/PolicyPage')),
  // Program staff.
  workQueue: lazyScreen(() => import('./screens/staff/WorkQueuePage')),
  staffCompanies: lazyScreen(() => import('./screens/staff/CompaniesPage')),
  staffZones: lazyScreen(() => import('./screens/staff/StaffZonesPage')),
  staffZone: lazyScreen(() => import('./screens/staff/StaffZonePage')),
  vulnData: lazyScreen(() => import('./screens/staff/VulnDataPage')),
  outbox: lazyScreen(() => import('./screens/staff/OutboxPage')),
  mail: lazyScreen(() => import('./screens/staff/MailPage')),
  audit: lazyScreen(() => import('./screens/staff/AuditPage')),
  zoneRequest: lazyScreen(() => import('./screens/staff/ZoneRequestPage')),
  notFound: lazyScreen(() => import('./screens/NotFoundPage')),
};

/** A lazily loaded screen, with the loading state while its chunk arrives. */
function screen(Screen: LazyScreen) {
  return <Screen />;
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
