/** The UI's pages: each screen is its own chunk, loaded when its route is first opened. */
import { createBrowserRouter, Navigate } from 'react-router-dom';
import { lazyScreen } from './lazyScreen';
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

/** Every client route; the server answers index.html for them (SPA fallback). */
export const router = createBrowserRouter([
  {
    element: <AppShell />,
    children: [
      { index: true, element: <Navigate to="/catalog" replace /> },
      { path: 'catalog', element: <screens.catalog /> },
      { path: 'catalog/:id', element: <screens.catalogImage /> },
      { path: 'login', element: <screens.login /> },
      { path: 'signup', element: <screens.signUp /> },
      // The paths of the links in Hallmark's e-mails (src/modules/accounts/accounts.ts).
      { path: 'confirm', element: <screens.confirm /> },
      { path: 'forgot-password', element: <screens.forgotPassword /> },
      { path: 'reset-password', element: <screens.resetPassword /> },
      { path: 'tokens', element: <screens.tokens /> },
      { path: 'profile', element: <screens.profile /> },
      { path: 'welcome', element: <screens.welcome /> },
      { path: 'accept-invitation', element: <screens.acceptInvitation /> },
      { path: 'company', element: <screens.myCompany /> },
      { path: 'companies/:id', element: <screens.companyDashboard /> },
      { path: 'companies/:id/become-partner', element: <screens.becomePartner /> },
      { path: 'companies/:id/users', element: <screens.companyUsers /> },
      { path: 'companies/:id/join-requests', element: <screens.joinRequests /> },
      { path: 'zones', element: <screens.zones /> },
      { path: 'zones/:id', element: <screens.zone /> },
      { path: 'products', element: <screens.products /> },
      { path: 'products/new', element: <screens.productNew /> },
      { path: 'products/:id', element: <screens.product /> },
      { path: 'software', element: <screens.software /> },
      { path: 'downloads', element: <screens.downloads /> },
      { path: 'export-compliance', element: <screens.compliance /> },
      { path: 'export-compliance/:id', element: <screens.questionnaire /> },
      { path: 'projects', element: <screens.projects /> },
      // Tabs: checklist (default), registry, images, build-service, settings.
      { path: 'projects/:id/:tab?', element: <screens.project /> },
      { path: 'images/:id', element: <screens.image /> },
      // One build of the Build Service: its state and its log, live.
      { path: 'builds/:id', element: <screens.build /> },
      // The policy text each scan result links (`/policy/<id>#<assessment>`).
      { path: 'policy/:policy?', element: <screens.policy /> },
      { path: 'staff', element: <screens.workQueue /> },
      { path: 'staff/companies', element: <screens.staffCompanies /> },
      { path: 'staff/zones', element: <screens.staffZones /> },
      { path: 'staff/zones/:id', element: <screens.staffZone /> },
      { path: 'staff/vulndb', element: <screens.vulnData /> },
      { path: 'staff/mail', element: <screens.outbox /> },
      { path: 'staff/mail/:id', element: <screens.mail /> },
      { path: 'staff/audit', element: <screens.audit /> },
      { path: 'zone-requests/:id', element: <screens.zoneRequest /> },
      // Staff e-mails about software requests link these; they are worked in the queue.
      { path: 'software-requests', element: <screens.workQueue /> },
      { path: 'software-requests/:id', element: <screens.workQueue /> },
      { path: '*', element: <screens.notFound /> },
    ],
  },
]);
