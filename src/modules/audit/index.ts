/** The audit log of every change. */
export { audit, auditRoutes, type AuditEntry } from './audit.js';
