/** The audit log of every change. */
export { audit, auditModule, firstActorOf, type AuditEntry } from './audit.js';
