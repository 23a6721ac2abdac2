/** The audit log of every change. */
export type * from './tables.js';
export { audit, auditModule, firstActorOf, type AuditEntry } from './audit.js';
