/** The audit log of every change. */
export { audit, auditModule, type AuditEntry } from './audit.js';
